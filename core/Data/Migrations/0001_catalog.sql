-- Catalog schema: seasons, slots, clips, feature flags, bans, audit log.
create table catalog_state (
    id int primary key check (id = 1),
    -- Bumped in every transaction that changes what edges see; the snapshot's Version and ETag.
    version bigint not null,
    -- Season numbers are handed out from here so a rollback or a delete never reuses or skips one.
    last_season_number int not null
);
insert into catalog_state (id, version, last_season_number) values (1, 1, 0);

create table seasons (
    id uuid primary key,
    number int not null unique,
    label text not null,
    genre text not null,
    status text not null,
    total_slots int not null,
    slot_duration_seconds int not null,
    created_at timestamptz not null,
    activated_at timestamptz null
);
create index seasons_status_activated on seasons (status, activated_at desc);

create table slots (
    season_id uuid not null references seasons (id) on delete cascade,
    position int not null,
    status text not null,
    voting_ends_at timestamptz null,
    winner_clip_id uuid null,
    primary key (season_id, position)
);
create index slots_voting_ends on slots (voting_ends_at) where status = 'voting';

create table clips (
    id uuid primary key,
    season_id uuid not null references seasons (id) on delete cascade,
    creator_id uuid not null,
    title text not null,
    genre text not null,
    video_url text not null,
    thumbnail_url text null,
    duration_seconds numeric(6, 3) not null,
    status text not null,
    slot_position int null,
    created_at timestamptz not null,
    approved_at timestamptz null
);
create index clips_moderation on clips (status, created_at, id);
create index clips_season_slot on clips (season_id, slot_position, status);

create table feature_flags (
    key text primary key,
    enabled boolean not null,
    updated_at timestamptz not null
);
insert into feature_flags (key, enabled, updated_at) values
    ('voting_enabled', true, now()),
    ('multi_vote_enabled', false, now()),
    ('require_auth_voting', false, now()),
    ('require_captcha_voting', false, now());

create table bans (
    kind text not null check (kind in ('user', 'voter')),
    subject text not null,
    banned_at timestamptz not null,
    primary key (kind, subject)
);

create table audit_logs (
    seq bigint generated always as identity primary key,
    id uuid not null unique,
    action text not null,
    resource_type text not null,
    resource_id text not null,
    actor text not null,
    details jsonb not null,
    created_at timestamptz not null
);
