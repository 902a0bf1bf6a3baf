package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

var _ Store = (*Local)(nil)

// Local stores objects as files under a root directory. Writes go to a temporary file that is
// fsync'd, renamed into place, and followed by an fsync of the directory, so an object is either
// wholly there after a crash or not there at all.
type Local struct {
	root string
	dirs sync.Map // directories known to exist, so a Put does not ask the filesystem each time
}

// NewLocal returns a store rooted at dir, creating it if needed.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob: create root %s: %w", dir, err)
	}
	return &Local{root: dir}, nil
}

func (l *Local) path(key string) (string, error) {
	if err := ValidKey(key); err != nil {
		return "", err
	}
	return filepath.Join(l.root, filepath.FromSlash(key)), nil
}

// Put writes data under key durably.
func (l *Local) Put(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := l.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if _, ok := l.dirs.Load(dir); !ok {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
		l.dirs.Store(dir, true)
	}
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if errors.Is(err, fs.ErrNotExist) {
		// The directory was removed behind our back (an emptied session directory); redo it.
		l.dirs.Delete(dir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
		tmp, err = os.CreateTemp(dir, tempPrefix+"*")
	}
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("blob: put %s: write: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("blob: put %s: sync: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("blob: put %s: close: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("blob: put %s: rename: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("blob: put %s: sync dir: %w", key, err)
	}
	return nil
}

// Get reads the object stored under key.
func (l *Local) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if notExist(err) {
		return nil, fmt.Errorf("blob: get %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	return b, nil
}

// GetRange reads length bytes at offset of the object under key.
func (l *Local) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	if offset < 0 || length < 0 || length > 1<<31 {
		return nil, fmt.Errorf("blob: get %s: invalid range %d+%d", key, offset, length)
	}
	f, err := os.Open(p)
	if notExist(err) {
		return nil, fmt.Errorf("blob: get %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	defer f.Close()
	buf := make([]byte, length)
	if _, err := f.ReadAt(buf, offset); err != nil {
		return nil, fmt.Errorf("blob: get %s [%d+%d]: %w", key, offset, length, err)
	}
	return buf, nil
}

// Delete removes the object under key; deleting a missing object is not an error.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

// List calls fn for each object under prefix (see Store). It walks only the directory that the
// prefix names up to its last "/", and skips the temporary files of writes in progress or cut
// short by a crash: they are not objects (no key can name one), and RemoveTemps clears them.
func (l *Local) List(ctx context.Context, prefix string, fn func(key string, size int64, modified time.Time) error) error {
	if err := ValidPrefix(prefix); err != nil {
		return err
	}
	base := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		base = prefix[:i]
	}
	err := l.walk(ctx, base, func(key string, info fs.FileInfo) error {
		if strings.HasPrefix(info.Name(), tempPrefix) || !strings.HasPrefix(key, prefix) {
			return nil
		}
		return fn(key, info.Size(), info.ModTime())
	}, func(dir string) bool {
		// A directory can hold matches only if it lies on the prefix's path or below it.
		d := dir + "/"
		return strings.HasPrefix(d, prefix) || strings.HasPrefix(prefix, d)
	})
	if err != nil {
		return fmt.Errorf("blob: list %q: %w", prefix, err)
	}
	return nil
}

// RemoveTemps deletes the temporary files that writes left behind when the process died
// between creating and renaming them, if they were last modified before cutoff (a write in
// progress touches its file continuously, so an hour-old one is abandoned). It returns how
// many it removed. The S3 store's RemoveTemps does the same for abandoned multipart uploads.
func (l *Local) RemoveTemps(ctx context.Context, cutoff time.Time) (int, error) {
	n := 0
	err := l.walk(ctx, "", func(key string, info fs.FileInfo) error {
		if !strings.HasPrefix(info.Name(), tempPrefix) || !info.ModTime().Before(cutoff) {
			return nil
		}
		err := os.Remove(filepath.Join(l.root, filepath.FromSlash(key)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err == nil {
			n++
		}
		return nil
	}, func(string) bool { return true })
	if err != nil {
		return n, fmt.Errorf("blob: remove temporary files: %w", err)
	}
	return n, nil
}

// walk calls file for each regular file below the directory base (a slash path relative to
// the root, "" for the root), with its slash path relative to the root, entering only the
// directories enter accepts. Files and directories removed while walking are passed over, as
// a concurrent Delete is not an error for a listing.
func (l *Local) walk(ctx context.Context, base string, file func(key string, info fs.FileInfo) error, enter func(dir string) bool) error {
	start := filepath.Join(l.root, filepath.FromSlash(base))
	return filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if p != start && !enter(key) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return file(key, info)
	})
}

// notExist reports whether err says a path is missing, including the case where a parent in
// it is a file ("a" stored, "a/b" asked for): on S3 that key is simply missing too.
func notExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
