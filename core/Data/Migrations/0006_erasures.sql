-- Account erasure (DELETE /v1/me, POST /v1/admin/users/{id}/erase): the catalog's part is done in the request's
-- transaction; what lies on the shards and in the regions' Redis is done by core's erasure worker, step by step, retried
-- until every step is done, so an erasure asked while a shard or region is down completes when it is back.
create table erasures (
    id uuid primary key,
    user_id text not null,
    requested_by text not null,
    requested_at timestamptz not null,
    completed_at timestamptz null,
    -- What the steps need while they run; cleared at completion, so nothing links the user to the anonymised rows.
    voter_key text null,
    creator_id uuid null,
    erased_voter_key text null,
    erased_creator_id uuid null,
    clip_ids uuid[] null,
    clip_season_ids uuid[] null,
    receipt_vote_ids uuid[] null
);
create index erasures_by_user on erasures (user_id, requested_at);

-- One row per shard ('shard:<name>') and region ('region:<name>'); regions run after every shard is done, because the
-- shards give the vote ids of the receipts to delete.
create table erasure_steps (
    erasure_id uuid not null references erasures (id) on delete cascade,
    target text not null,
    done_at timestamptz null,
    attempts int not null default 0,
    last_error text null,
    primary key (erasure_id, target)
);
create index erasure_steps_pending on erasure_steps (erasure_id) where done_at is null;

-- The export lists the audit entries about a user: their user id, voter key and clips.
create index audit_logs_by_resource on audit_logs (resource_type, resource_id);
create index audit_logs_by_actor on audit_logs (actor);
