-- Webhooks first, one upstream read for everyone (issue 12).
--
-- predictions learn what the model last said, so polls answer from the row:
-- - progress (0..1, parsed from the model's logs; null when they show none),
--   logs_length (how much log the row reflects: within one status, a longer
--   log is newer, so late or repeated deliveries never move a row backwards),
--   output (the model's output URLs, written only by the server's service role
--   from a verified webhook; a person cannot point their row at other files);
-- - heard_at: when the app last heard from the model (a webhook or a read);
-- - next_read_at: before this, nobody reads the prediction from the model
--   again. A poll that finds it due moves it forward first (a conditional
--   update), so of all the tabs, people and server instances polling one
--   prediction, one reads and the others answer from the row.
--
-- webhook_inbox keeps verified deliveries that arrive before the create has
-- written its row (fast models finish in under a second); the create applies
-- them once its row exists. Service role only.

alter table public.predictions
  add column progress double precision check (progress between 0 and 1),
  add column logs_length integer not null default 0 check (logs_length >= 0),
  add column output jsonb,
  add column heard_at timestamptz,
  add column next_read_at timestamptz;

-- What a poll may record as the person: never output, which is the service role's alone.
grant update (progress, logs_length, heard_at, next_read_at) on table public.predictions to authenticated;

create table public.webhook_inbox (
  -- The delivery's webhook-id: a redelivery of the same message is kept once.
  webhook_id text primary key check (char_length(webhook_id) between 1 and 200),
  prediction_id text not null check (prediction_id ~ '^[A-Za-z0-9_-]{1,64}$'),
  body jsonb not null,
  received_at timestamptz not null default now()
);

create index webhook_inbox_prediction_id_idx on public.webhook_inbox (prediction_id);
create index webhook_inbox_received_at_idx on public.webhook_inbox (received_at);

alter table public.webhook_inbox enable row level security;
revoke all on table public.webhook_inbox from anon, authenticated;
grant all on table public.webhook_inbox to service_role;
