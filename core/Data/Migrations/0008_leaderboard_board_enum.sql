-- The board as an enum (4 bytes, fixed width) instead of text. It leads every index of the totals, and as text it made
-- each comparison of an index insert a text comparison and left every later key column at an uncached offset, the
-- largest part of the rollup's cost (perf/RESULTS.md, the leaderboards' fold).
create type leaderboard_board as enum ('clips', 'voters', 'creators');
alter table leaderboard_totals alter column board type leaderboard_board using board::leaderboard_board;
alter table leaderboard_retired alter column board type leaderboard_board using board::leaderboard_board;
