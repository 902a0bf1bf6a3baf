package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/postgres"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// isPostgres says whether a --db value names a PostgreSQL server.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// openIndex opens the index a --db value names: PostgreSQL for a postgres:// URL, else the
// embedded SQLite file under the data directory (db empty). It also returns how to name the
// index in logs, without a password.
func openIndex(ctx context.Context, db, data string) (store.Index, string, error) {
	switch {
	case db == "":
		if err := privateDir(data); err != nil {
			return nil, "", err
		}
		path := filepath.Join(data, "index.db")
		idx, err := sqlite.Open(ctx, path)
		return idx, path, err
	case isPostgres(db):
		idx, err := postgres.Open(ctx, db)
		if err != nil {
			return nil, "", fmt.Errorf("--db %s: %w", redactURL(db), err)
		}
		return idx, redactURL(db), nil
	}
	return nil, "", fmt.Errorf("--db %s: want a postgres:// URL, or nothing for the embedded index under --data", redactURL(db))
}

// redactURL is a database URL without its password, for printing.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// dbUsage is the --db flag's help, shared by the commands that open the index.
const dbUsage = "PostgreSQL URL of the index (postgres://user:pass@host/db); empty: SQLite in --data; objects go where --blobs says either way (REEL_DB)"

// privateDir makes the data directory, or makes an existing one, accessible to its owner only:
// it holds every recorded session and the share-link signing key, and a directory others may
// enter would let any local user read them.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, fi.Mode().Perm()&0o700); err != nil {
			return fmt.Errorf("data directory %s is open to other users (%s) and cannot be restricted: %w", dir, fi.Mode().Perm(), err)
		}
	}
	return nil
}
