-- A locked slot keeps its winner's final counts and when it locked, so a season's story page is one catalog read and
-- edges can announce a season's last winner after it finished.
alter table slots add column winner_votes bigint null;
alter table slots add column winner_weighted_score bigint null;
alter table slots add column locked_at timestamptz null;
