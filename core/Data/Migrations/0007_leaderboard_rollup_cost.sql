-- The rollup wrote, per changed day row and batch, a copy and six total versions, each retirement a non-HOT update with
-- new entries in every index, all of it WAL-logged (perf/RESULTS.md, leaderboard rollup). Now:
-- * A day row's copy is its current day total for its season, which no other row adds to: leaderboard_days goes.
-- * valid_to is in no index, so retiring a version is a HOT update on pages kept with room for it; the retirements to
--   delete once no cursor can reach them are listed, unindexed but block-range ordered, in leaderboard_retired.
-- * The tables are derived from the shards: unlogged, so they cost no WAL. A crash empties them, positions included,
--   and the rollup reads every shard's day tables whole again. Generation numbers come from a logged sequence, so a
--   cursor from before a crash finds its generation gone (expired) rather than taken by another.
drop table leaderboard_days;

create table leaderboard_retired (
    valid_to bigint not null,
    board text not null,
    period text not null,
    period_start date not null,
    season_key uuid not null,
    subject text not null,
    valid_from bigint not null
);
create index leaderboard_retired_by_generation on leaderboard_retired using brin (valid_to) with (autosummarize = on);
insert into leaderboard_retired (valid_to, board, period, period_start, season_key, subject, valid_from)
select valid_to, board, period, period_start, season_key, subject, valid_from from leaderboard_totals where valid_to is not null;
drop index leaderboard_totals_retired;
alter table leaderboard_totals set (fillfactor = 70);

create sequence leaderboard_generation_seq;
select setval('leaderboard_generation_seq', coalesce(max(generation), 0) + 1, false) from leaderboard_generations;

alter table leaderboard_totals set unlogged;
alter table leaderboard_retired set unlogged;
alter table leaderboard_generations set unlogged;
alter table leaderboard_positions set unlogged;
