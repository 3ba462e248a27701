-- Core follows each shard's day tables through the shard's day_changes (shard schema v3) instead of a keyset on
-- updated_at: a position per shard and board is the last change applied. No position means the table is read whole
-- once, which the copies in leaderboard_days turn into exactly the missing changes.
drop table leaderboard_watermarks;
create table leaderboard_positions (
    shard text not null,
    board text not null,
    change_seq bigint not null,
    primary key (shard, board)
);
