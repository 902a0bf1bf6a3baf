package corpus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DB is the index a bench runs Reel on, from its -db flag or REEL_DB: empty for the embedded
// index, or the URL of a PostgreSQL server the bench may create databases on.
func DB(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return os.Getenv("REEL_DB")
}

// FreshPostgres creates an empty database on the PostgreSQL server admin names (a role that may
// create databases) and returns its URL and a function that drops it, so each run starts from
// nothing and leaves nothing behind.
func FreshPostgres(ctx context.Context, admin string) (string, func(), error) {
	return NamedPostgres(ctx, admin, "", false)
}

// NamedPostgres is FreshPostgres for a database named reel_bench_NAME (a random name when
// empty), which a bench may keep to measure again; existing says it is already there (kept by
// an earlier run) and is not created.
func NamedPostgres(ctx context.Context, admin, name string, existing bool) (string, func(), error) {
	u, err := url.Parse(admin)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		return "", nil, fmt.Errorf("-db %q: want a postgres:// URL", admin)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	defer conn.Close(ctx)
	if name == "" {
		var b [6]byte
		rand.Read(b[:])
		name = hex.EncodeToString(b[:])
	}
	name = pgx.Identifier{"reel_bench_" + name}.Sanitize()
	if !existing {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			return "", nil, fmt.Errorf("create database %s: %w", name, err)
		}
	}
	db := *u
	db.Path = "/" + strings.Trim(name, `"`)
	drop := func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return db.String(), drop, nil
}
