-- Atomic per-person limits, and deleted images that stay deleted (issue 11).
--
-- 1. Limits. Counting predictions and then creating one is a race: twenty
--    simultaneous creates all counted zero. reserve_prediction() takes a
--    per-person lock, counts running predictions, creates in the last minute
--    and live reservations, and records a reservation in the same transaction,
--    so across every server instance at most the allowed number get through.
--    The server releases its reservation once the prediction row is written
--    (it is counted from then on) or the create failed; one left behind by a
--    crashed server expires on its own after two minutes.
--
-- 2. Deletions. A deleted image's output index is kept on its prediction
--    (predictions.deleted_outputs), and an image row for a deleted output can
--    never be inserted again: not by a poll, a server action, a webhook
--    redelivery or the reconcile job, nor by a save racing the delete.

-- ---------------------------------------------------------------------------
-- 1. Reservations
-- ---------------------------------------------------------------------------

create table public.prediction_reservations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);

create index prediction_reservations_user_id_expires_at_idx
  on public.prediction_reservations (user_id, expires_at);

-- Only the functions below (security definer) touch it; people see nothing.
alter table public.prediction_reservations enable row level security;
revoke all on table public.prediction_reservations from public, anon, authenticated;
grant all on table public.prediction_reservations to service_role;

-- The caller is auth.uid(), never an argument: a person can only ever reserve
-- for themselves. The limits are the server's own settings; someone calling
-- this directly with bigger ones gets a reservation, which starts nothing
-- (only the server starts predictions) and only counts against themselves.
-- Returns {"reservation": id} or {"refused": "running" | "per_minute", "count": n}.
create or replace function public.reserve_prediction(p_concurrent integer, p_per_minute integer)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  running integer;
  recent integer;
  live integer;
  reservation uuid;
begin
  if uid is null then
    raise exception 'reserve_prediction needs a signed-in caller' using errcode = '42501';
  end if;
  -- One caller per person at a time, until this transaction ends; each
  -- statement after it sees what the previous holder committed.
  perform pg_advisory_xact_lock(hashtextextended('prediction_limits:' || uid::text, 0));
  delete from public.prediction_reservations where user_id = uid and expires_at <= now();
  select count(*) into live from public.prediction_reservations where user_id = uid;
  -- Replicate stops a prediction after 30 minutes: an older row cannot still be running.
  select count(*) into running from public.predictions
    where user_id = uid and status in ('starting', 'processing') and created_at >= now() - interval '30 minutes';
  if running + live >= greatest(p_concurrent, 0) then
    return jsonb_build_object('refused', 'running', 'count', running + live);
  end if;
  select count(*) into recent from public.predictions where user_id = uid and created_at >= now() - interval '1 minute';
  if recent + live >= greatest(p_per_minute, 0) then
    return jsonb_build_object('refused', 'per_minute', 'count', recent + live);
  end if;
  insert into public.prediction_reservations (user_id, expires_at)
    values (uid, now() + interval '2 minutes')
    returning id into reservation;
  return jsonb_build_object('reservation', reservation);
end;
$$;

create or replace function public.release_prediction_reservation(p_id uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  delete from public.prediction_reservations where id = p_id and user_id = auth.uid();
$$;

revoke all on function public.reserve_prediction(integer, integer), public.release_prediction_reservation(uuid)
  from public, anon;
grant execute on function public.reserve_prediction(integer, integer), public.release_prediction_reservation(uuid)
  to authenticated;

-- ---------------------------------------------------------------------------
-- 2. Deleted outputs
-- ---------------------------------------------------------------------------

-- Existing predictions start with none deleted. Readable by the owner (the
-- table-wide select grant); writable only by the trigger below, so nobody can
-- undo a deletion.
alter table public.predictions
  add column deleted_outputs integer[] not null default '{}';

-- Before the image row goes, its prediction row is marked (and locked until
-- commit): a save that checks the prediction below either runs first, or
-- waits for this delete and then sees the mark. Marking after the delete
-- would let a racing save slip in between, or deadlock with it. Security
-- definer: people have no update grant on deleted_outputs.
create or replace function public.sdxl_images_mark_deleted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- A prediction deleted first (an account's cascade) is simply not found.
  update public.predictions
    set deleted_outputs = deleted_outputs || old.output_index
    where id = old.prediction_id and not (old.output_index = any (deleted_outputs));
  return old;
end;
$$;

create or replace function public.sdxl_images_refuse_deleted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  marks integer[];
begin
  -- FOR SHARE waits for a delete marking this prediction right now, then reads
  -- its mark. (The mark is tested after the lock, not in the WHERE: a filter on
  -- the old version would skip the row without waiting.)
  select deleted_outputs into marks from public.predictions
    where id = new.prediction_id
    for share;
  if new.output_index = any (marks) then
    raise exception 'output % of prediction % was deleted', new.output_index, new.prediction_id
      using errcode = 'SX410', hint = 'A deleted image is not saved again.';
  end if;
  return new;
end;
$$;

revoke all on function public.sdxl_images_mark_deleted(), public.sdxl_images_refuse_deleted() from public, anon, authenticated;

create trigger sdxl_images_mark_deleted
  before delete on public.sdxl_images
  for each row execute function public.sdxl_images_mark_deleted();

create trigger sdxl_images_refuse_deleted
  before insert on public.sdxl_images
  for each row execute function public.sdxl_images_refuse_deleted();
