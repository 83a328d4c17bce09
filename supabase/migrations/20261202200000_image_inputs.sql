-- Image inputs: the pictures a person hands a model (img2img, inpainting, upscaling).
--
-- - input_images: one row per uploaded input. The server chooses its id and its
--   storage path (`<user_id>/inputs/<id>.<ext>` in the same private bucket as
--   outputs, so the same storage policies keep it private); the row starts
--   'pending' and becomes 'ready' once the server has read the stored bytes and
--   checked their type, size and pixel size. The form and the stored prediction
--   input refer to it as `input:<id>`, never by a URL.
-- - prediction_inputs: which inputs a prediction used, so the clean-up job keeps
--   an input while an image made from it still exists.

create table public.input_images (
  id uuid primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  storage_path text not null unique,
  status text not null default 'pending' check (status in ('pending', 'ready')),
  content_type text not null check (content_type in ('image/png', 'image/jpeg', 'image/webp')),
  bytes integer check (bytes > 0),
  width integer check (width > 0),
  height integer check (height > 0),
  created_at timestamptz not null default now(),
  -- Set whenever a create sends it to a model; the clean-up waits a day after this.
  last_used_at timestamptz,
  -- The path is the one the server chose from the id: nobody can point a row at
  -- someone else's folder, or at an output.
  check (storage_path ~ ('^' || user_id::text || '/inputs/' || id::text || '\.(png|jpg|webp)$')),
  check (status = 'pending' or (bytes is not null and width is not null and height is not null))
);

create index input_images_created_at_idx on public.input_images (created_at);

create table public.prediction_inputs (
  prediction_id text not null,
  -- The input name it was given as (`image`, `mask`).
  name text not null check (char_length(name) between 1 and 100),
  input_id uuid not null references public.input_images (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  primary key (prediction_id, name),
  foreign key (prediction_id, user_id) references public.predictions (id, user_id) on delete cascade
);

create index prediction_inputs_input_id_idx on public.prediction_inputs (input_id);

alter table public.input_images enable row level security;
alter table public.prediction_inputs enable row level security;

create policy "Owners read their inputs"
  on public.input_images for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Owners add inputs"
  on public.input_images for insert to authenticated
  with check (user_id = (select auth.uid()));

-- A person could mark their own row ready through PostgREST without the check;
-- that gains nothing: the bytes are checked again each time they are sent to a model.
create policy "Owners update their inputs"
  on public.input_images for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create policy "Owners delete their inputs"
  on public.input_images for delete to authenticated
  using (user_id = (select auth.uid()));

create policy "Owners read which inputs their predictions used"
  on public.prediction_inputs for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Owners record inputs of their own predictions"
  on public.prediction_inputs for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and exists (select 1 from public.input_images i where i.id = input_id and i.user_id = (select auth.uid()))
  );

revoke all on table public.input_images, public.prediction_inputs from anon, authenticated;

grant select, delete on table public.input_images to authenticated;
grant insert (id, user_id, storage_path, content_type) on table public.input_images to authenticated;
grant update (status, content_type, bytes, width, height, last_used_at) on table public.input_images to authenticated;
grant select on table public.prediction_inputs to authenticated;
grant insert (prediction_id, name, input_id, user_id) on table public.prediction_inputs to authenticated;

grant all on table public.input_images, public.prediction_inputs to service_role;
