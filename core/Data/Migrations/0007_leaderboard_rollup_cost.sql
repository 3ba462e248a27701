-- The rollup wrote, per changed day row and batch, a copy and six total versions (day, week, all time; season and all
-- seasons), each retirement a non-HOT update with new entries in every index, all of it WAL-logged (perf/RESULTS.md,
-- leaderboard rollup). Now:
-- * One row per board, season key and subject holds its latest day, that day's week and all time, each ranked by its
--   own index; a season row is computed from the subject's day rows in that season, so no copies are kept.
-- * valid_to is in no index, so retiring a version is a HOT update on pages kept with room for it; the retirements to
--   delete once no cursor can reach them are listed, unindexed but block-range ordered, in leaderboard_retired.
-- * The tables are derived from the shards: unlogged, so they cost no WAL. A crash empties them, positions included,
--   and the rollup reads every shard's day tables whole again. Generation numbers come from a logged sequence, so a
--   cursor from before a crash (or this migration) finds its generation gone (expired) rather than taken by another.
-- The totals are rebuilt: no positions, so the rollup reads every shard's day tables whole once.
drop table leaderboard_days;
drop table leaderboard_totals;
delete from leaderboard_positions;

create sequence leaderboard_generation_seq;
select setval('leaderboard_generation_seq', coalesce(max(generation), 0) + 1, false) from leaderboard_generations;
delete from leaderboard_generations;

create unlogged table leaderboard_totals (
    board text not null,
    -- The season, or the nil uuid for "every season".
    season_key uuid not null,
    subject text not null,
    valid_from bigint not null,
    valid_to bigint null,
    day_start date not null,
    day_votes bigint not null,
    day_weight bigint not null,
    week_start date not null,
    week_votes bigint not null,
    week_weight bigint not null,
    all_votes bigint not null,
    all_weight bigint not null,
    primary key (board, season_key, subject, valid_from)
) with (fillfactor = 70);
create index leaderboard_totals_day on leaderboard_totals (board, season_key, day_start, day_votes desc, subject);
create index leaderboard_totals_week on leaderboard_totals (board, season_key, week_start, week_votes desc, subject);
create index leaderboard_totals_all on leaderboard_totals (board, season_key, all_votes desc, subject);

create unlogged table leaderboard_retired (
    valid_to bigint not null,
    board text not null,
    season_key uuid not null,
    subject text not null,
    valid_from bigint not null
);
create index leaderboard_retired_by_generation on leaderboard_retired using brin (valid_to) with (autosummarize = on);

alter table leaderboard_generations set unlogged;
alter table leaderboard_positions set unlogged;
