-- SDXL Studio: predictions (the per-user rate-limit ledger), saved images, and
-- the private storage bucket they live in.
--
-- This file runs unchanged on a Supabase project (`supabase db push`) and, in
-- local mode, on PGlite after lib/local/bootstrap-sql.ts has created what
-- Supabase itself provides. Row-level security is the access control in both.

-- ---------------------------------------------------------------------------
-- predictions
-- ---------------------------------------------------------------------------

create table public.predictions (
  -- The model's own prediction id, so webhooks and polls can find the row.
  id text primary key check (id ~ '^[A-Za-z0-9_-]{1,64}$'),
  user_id uuid not null references auth.users (id) on delete cascade,
  model text not null check (char_length(model) between 1 and 200),
  input jsonb not null,
  status text not null check (
    status in ('starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted')
  ),
  error text,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  -- Target of the composite foreign key below: an image must belong to the
  -- owner of its prediction, whatever role inserts it.
  unique (id, user_id)
);

create index predictions_user_id_created_at_idx
  on public.predictions (user_id, created_at desc);

alter table public.predictions enable row level security;

create policy "Owners read their predictions"
  on public.predictions for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Owners record their predictions"
  on public.predictions for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy "Owners update their predictions"
  on public.predictions for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

-- No delete policy: these rows are the rate-limit ledger, and only the cascade
-- from auth.users removes them.

-- ---------------------------------------------------------------------------
-- sdxl_images
-- ---------------------------------------------------------------------------

create table public.sdxl_images (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  prediction_id text not null unique references public.predictions (id) on delete cascade,
  prompt text not null,
  input jsonb not null,
  model text not null,
  storage_path text not null unique check (starts_with(storage_path, user_id::text || '/')),
  content_type text not null check (content_type in ('image/png', 'image/jpeg', 'image/webp')),
  bytes integer not null check (bytes > 0),
  width integer not null check (width > 0),
  height integer not null check (height > 0),
  created_at timestamptz not null default now(),
  foreign key (prediction_id, user_id) references public.predictions (id, user_id) on delete cascade
);

-- Serves the gallery's keyset pagination (newest first, id as tie-breaker).
create index sdxl_images_user_id_created_at_id_idx
  on public.sdxl_images (user_id, created_at desc, id desc);

alter table public.sdxl_images enable row level security;

create policy "Owners read their images"
  on public.sdxl_images for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Owners save images of their own predictions"
  on public.sdxl_images for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and exists (
      select 1 from public.predictions p
      where p.id = prediction_id and p.user_id = (select auth.uid())
    )
  );

create policy "Owners delete their images"
  on public.sdxl_images for delete to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------------------
-- Privileges. Supabase's default privileges grant everything on new public
-- tables to anon, authenticated and service_role; start from nothing instead so
-- the column lists below mean what they say (a table-wide UPDATE would override
-- them) and local mode behaves the same.
-- ---------------------------------------------------------------------------

revoke all on table public.predictions, public.sdxl_images from anon, authenticated;

grant select on table public.predictions to authenticated;
-- created_at is not insertable, so the rate-limit ledger cannot be backdated.
grant insert (id, user_id, model, input, status) on table public.predictions to authenticated;
grant update (status, error, completed_at) on table public.predictions to authenticated;

grant select, delete on table public.sdxl_images to authenticated;
grant insert (user_id, prediction_id, prompt, input, model, storage_path, content_type, bytes, width, height)
  on table public.sdxl_images to authenticated;

grant all on table public.predictions, public.sdxl_images to service_role;

-- ---------------------------------------------------------------------------
-- Storage: a private bucket, one folder per user (`<user_id>/<file>`).
-- ---------------------------------------------------------------------------

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('sdxl-images', 'sdxl-images', false, 20971520, array['image/png', 'image/jpeg', 'image/webp'])
on conflict (id) do nothing;

create policy "sdxl-images: owners read their folder"
  on storage.objects for select to authenticated
  using (bucket_id = 'sdxl-images' and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "sdxl-images: owners upload to their folder"
  on storage.objects for insert to authenticated
  with check (bucket_id = 'sdxl-images' and (storage.foldername(name))[1] = (select auth.uid())::text);

-- Upserts (saving the same prediction twice) update the existing object.
create policy "sdxl-images: owners replace files in their folder"
  on storage.objects for update to authenticated
  using (bucket_id = 'sdxl-images' and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (bucket_id = 'sdxl-images' and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "sdxl-images: owners delete from their folder"
  on storage.objects for delete to authenticated
  using (bucket_id = 'sdxl-images' and (storage.foldername(name))[1] = (select auth.uid())::text);
