-- A user's own clips (GET /v1/me/clips, stats, export, erasure) are one index range, newest first.
create index clips_by_creator on clips (creator_id, created_at, id);
