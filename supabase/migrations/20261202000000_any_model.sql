-- Any Replicate image model: what ran, what it was asked, what it made.
--
-- - predictions keep the model's display name, the reference it was chosen by
--   (the picker's key), the seed actually used, when it started running (for
--   per-model run-time estimates) and how many images it was asked for;
-- - sdxl_images hold one row per output: (prediction_id, output_index) is
--   unique instead of prediction_id alone, and each row keeps the model's
--   display name and the seed;
-- - model_versions / model_aliases keep the schemas read from Replicate, so the
--   app keeps working from them when Replicate's model API is down.
-- Existing rows are filled in from what they already hold; nothing is dropped.

alter table public.predictions
  add column model_name text,
  add column model_key text check (char_length(model_key) between 1 and 300),
  add column seed bigint,
  add column output_count integer not null default 1 check (output_count between 1 and 16),
  add column started_at timestamptz;

update public.predictions set
  model_name = case
    when model = 'local-preview' then 'Local preview model'
    when model like 'stability-ai/sdxl:%' then 'Stable Diffusion XL'
    else model
  end,
  model_key = case when model = 'local-preview' then 'local-preview' end,
  seed = case when jsonb_typeof(input -> 'seed') = 'number' then (input ->> 'seed')::numeric::bigint end;

alter table public.predictions
  alter column model_name set not null,
  add constraint predictions_model_name_check check (char_length(model_name) between 1 and 200);

alter table public.sdxl_images
  drop constraint sdxl_images_prediction_id_key,
  add column output_index integer not null default 0 check (output_index between 0 and 15),
  add column model_name text,
  add column seed bigint,
  add constraint sdxl_images_prediction_id_output_index_key unique (prediction_id, output_index);

update public.sdxl_images i set model_name = p.model_name, seed = p.seed
from public.predictions p where p.id = i.prediction_id;

alter table public.sdxl_images alter column model_name set not null;

grant insert (model_name, model_key, seed, output_count) on table public.predictions to authenticated;
grant update (seed, started_at) on table public.predictions to authenticated;
grant insert (output_index, model_name, seed) on table public.sdxl_images to authenticated;

-- ---------------------------------------------------------------------------
-- Model schemas read from Replicate. Server-side only: row-level security is on
-- and no policy exists, so only the service role (which bypasses it) reads or
-- writes them.
-- ---------------------------------------------------------------------------

create table public.model_versions (
  -- "owner/name:version": a version's schema never changes.
  ref text primary key check (char_length(ref) between 1 and 300),
  openapi_schema jsonb not null,
  fetched_at timestamptz not null default now()
);

create table public.model_aliases (
  -- The configured reference ("owner/name", "deployment:owner/name") and the newest version seen for it.
  key text primary key check (char_length(key) between 1 and 300),
  model text not null,
  version text not null,
  checked_at timestamptz not null default now()
);

alter table public.model_versions enable row level security;
alter table public.model_aliases enable row level security;
revoke all on table public.model_versions, public.model_aliases from anon, authenticated;
grant all on table public.model_versions, public.model_aliases to service_role;
