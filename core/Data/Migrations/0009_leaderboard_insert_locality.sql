-- A new row version cost an index insert at a random leaf of each of four btrees, and once the indexes outgrew the
-- buffers most of that was page traffic (perf/RESULTS.md, "Where a new leaderboard row goes"). Now:
-- * Equal counts rank by the generation the row reached them in (earlier first), then by subject: a new version lands
--   at the end of its count's run in each rank index, where the rollup's previous inserts already are, not at a random
--   subject position.
-- * The lookups of a subject's current version and of a retired one go through a hash index on the subject, smaller
--   than the btree primary key and inserted without key comparisons. Only the rollup writes the table, one core at a
--   time under its advisory lock, so no constraint is needed to keep versions apart.
alter table leaderboard_totals drop constraint leaderboard_totals_pkey;
create index leaderboard_totals_subject on leaderboard_totals using hash (subject);
drop index leaderboard_totals_day;
drop index leaderboard_totals_week;
drop index leaderboard_totals_all;
create index leaderboard_totals_day on leaderboard_totals (board, season_key, day_start, day_votes desc, valid_from, subject);
create index leaderboard_totals_week on leaderboard_totals (board, season_key, week_start, week_votes desc, valid_from, subject);
create index leaderboard_totals_all on leaderboard_totals (board, season_key, all_votes desc, valid_from, subject);
