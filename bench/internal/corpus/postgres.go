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
	u, err := url.Parse(admin)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		return "", nil, fmt.Errorf("-db %q: want a postgres:// URL", admin)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", u.Redacted(), err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "reel_bench_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	db := *u
	db.Path = "/" + name
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
