-- Leaderboard rollup: copies of the shards' *_days rows and versioned totals per period.
create table leaderboard_days (
    board text not null,
    subject text not null,
    season_id uuid not null,
    utc_day date not null,
    votes bigint not null,
    weight bigint not null,
    primary key (board, subject, season_id, utc_day)
);

-- Each rollup batch is one generation; a total row is valid for generations [valid_from, valid_to).
-- Readers page through one generation, so pages join without gaps or repeats while counts move.
create table leaderboard_totals (
    board text not null,
    period text not null,
    period_start date not null,
    -- The season, or the nil uuid for "every season".
    season_key uuid not null,
    subject text not null,
    votes bigint not null,
    weight bigint not null,
    valid_from bigint not null,
    valid_to bigint null,
    primary key (board, period, period_start, season_key, subject, valid_from)
);
create index leaderboard_totals_rank on leaderboard_totals (board, period, period_start, season_key, votes desc, subject);
create index leaderboard_totals_retired on leaderboard_totals (valid_to) where valid_to is not null;

create table leaderboard_generations (
    generation bigint primary key,
    created_at timestamptz not null
);
insert into leaderboard_generations (generation, created_at) values (0, now());

-- Per shard and board: the keyset position (updated_at, subject, season, day) read so far.
create table leaderboard_watermarks (
    shard text not null,
    board text not null,
    updated_at timestamptz not null,
    subject text not null,
    season_id uuid not null,
    utc_day date not null,
    primary key (shard, board)
);
