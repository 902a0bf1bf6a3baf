-- Funnels and experiments (issue 17); see SQLite's 0033_funnels_flags.sql for what each holds.
CREATE TABLE session_steps (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    at         bigint NOT NULL,
    kind       text COLLATE "C" NOT NULL,
    path       text COLLATE "C" NOT NULL,
    name       text COLLATE "C" NOT NULL,
    text       text COLLATE "C" NOT NULL,
    props      text COLLATE "C" NOT NULL DEFAULT '{}',
    PRIMARY KEY (session_id, seq)
);

CREATE TABLE session_flags (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name       text COLLATE "C" NOT NULL,
    variant    text COLLATE "C" NOT NULL,
    first_at   bigint NOT NULL,
    PRIMARY KEY (session_id, name, variant)
);
CREATE INDEX session_flags_name_variant ON session_flags (name, variant, session_id);

CREATE TABLE funnels (
    id         bigserial PRIMARY KEY,
    project_id text COLLATE "C" NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       text COLLATE "C" NOT NULL,
    definition text COLLATE "C" NOT NULL,
    owner_id   bigint NOT NULL,
    shared     boolean NOT NULL DEFAULT false,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX funnels_project ON funnels (project_id, owner_id);
