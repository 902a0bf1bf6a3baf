-- Teams (issue 14): roles are owner, admin, member, viewer; every user before this release was
-- the one all-powerful admin, so they become owners. A user can be deactivated (kept for the
-- audit trail, refused at login); members and viewers see only the projects they were given.
ALTER TABLE users ADD COLUMN disabled_at INTEGER NOT NULL DEFAULT 0;
UPDATE users SET role = 'owner' WHERE role = 'admin';
CREATE TABLE user_projects (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, project_id)
) WITHOUT ROWID;
CREATE INDEX user_projects_project ON user_projects (project_id);
