// Package backup copies an embedded install (the SQLite index and the objects under
// DATA/blobs) into one archive while the server keeps running, and restores such an archive
// into an empty data directory after checking every byte of it (docs/decisions.md, "reel
// backup").
//
// The archive is a tar stream compressed with zstd: index.db (a VACUUM INTO snapshot), then
// every object that snapshot refers to under blobs/, then MANIFEST.json with the counts and
// each file's size and SHA-256. The manifest comes last so the archive is written in one pass.
package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// Version is the archive format's version, in the manifest.
const Version = 1

// ManifestName is the archive's last entry.
const ManifestName = "MANIFEST.json"

// Manifest describes an archive.
type Manifest struct {
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	Reel      string    `json:"reel"` // the version of reel that wrote it
	Counts    Counts    `json:"counts"`
	Files     []File    `json:"files"`
}

// Counts are what the copied index holds.
type Counts struct {
	Projects int   `json:"projects"`
	Sessions int   `json:"sessions"`
	Chunks   int   `json:"chunks"`
	Segments int   `json:"segments"`
	Objects  int   `json:"objects"` // under blobs/: packs, compacted sessions, content items
	Bytes    int64 `json:"bytes"`   // of every file, uncompressed
}

// File is one file of the archive.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// attempts bounds how often Create takes a new snapshot because an object the last one
// referred to was deleted (a compaction freed a pack) before it was copied.
const attempts = 5

// Create writes an archive of the data directory dir to w. The server may keep ingesting,
// compacting and deleting meanwhile: the index is copied as of one moment, and every object
// that copy refers to is copied after it. Objects are never rewritten in place (new ones get
// new names), so one that still exists is as the snapshot knew it; one deleted in between
// means a newer snapshot is needed, and Create takes one, up to a few times.
func Create(ctx context.Context, dir string, w io.Writer, reelVersion string) (Manifest, error) {
	index := filepath.Join(dir, "index.db")
	if _, err := os.Stat(index); err != nil {
		return Manifest{}, fmt.Errorf("no embedded Reel index in %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(dir, ".backup-")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, "index.db")
	pinned := filepath.Join(tmp, "blobs")
	var contents sqlite.Contents
	var keys []string
	for try := 1; ; try++ {
		// Pin every object there is now (hard links, so a deletion cannot take one away),
		// then copy the index: any object the copy refers to either existed before it and is
		// pinned, or was written since, and is pinned after.
		os.RemoveAll(pinned)
		os.Remove(snap)
		if err := pinAll(ctx, filepath.Join(dir, "blobs"), pinned); err != nil {
			return Manifest{}, err
		}
		if err := sqlite.Snapshot(ctx, index, snap); err != nil {
			return Manifest{}, fmt.Errorf("backup: %w", err)
		}
		if contents, err = sqlite.Inspect(ctx, snap); err != nil {
			return Manifest{}, fmt.Errorf("backup: %w", err)
		}
		keys = objectKeys(contents)
		missing, err := pin(dir, tmp, keys)
		if err != nil {
			return Manifest{}, err
		}
		if missing == "" {
			break
		}
		// Written after the pins and deleted again before the index was copied: rare (a pack
		// whose sessions were all compacted within the moment); a new round settles it.
		if try == attempts {
			return Manifest{}, fmt.Errorf("backup: object %s, which the index refers to, is missing from %s (in %d rounds running)", missing, filepath.Join(dir, "blobs"), attempts)
		}
	}

	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return Manifest{}, err
	}
	tw := tar.NewWriter(zw)
	m := Manifest{Version: Version, CreatedAt: time.Now().UTC(), Reel: reelVersion,
		Counts: Counts{Projects: contents.Projects, Sessions: contents.Sessions, Chunks: contents.Chunks, Segments: contents.Segments, Objects: len(keys)}}
	add := func(name, src string) error {
		f, err := addFile(ctx, tw, name, src)
		if err != nil {
			return fmt.Errorf("backup: %s: %w", name, err)
		}
		m.Files = append(m.Files, f)
		m.Counts.Bytes += f.Size
		return nil
	}
	if err := add("index.db", snap); err != nil {
		return m, err
	}
	for _, k := range keys {
		if err := add("blobs/"+k, filepath.Join(tmp, "blobs", filepath.FromSlash(k))); err != nil {
			return m, err
		}
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o600, Size: int64(len(body)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
		return m, err
	}
	if _, err := tw.Write(body); err != nil {
		return m, err
	}
	if err := tw.Close(); err != nil {
		return m, err
	}
	return m, zw.Close()
}

// objectKeys are the object names a copy of the index refers to, sorted.
func objectKeys(c sqlite.Contents) []string {
	keys := slices.Clone(c.Blobs)
	for _, k := range c.Content {
		keys = append(keys, layout.ContentKey(k.ProjectID, k.Hash))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// pinAll hard-links every file under src into the same place under dst. A file deleted
// while it walks is skipped: nothing committed after the walk can refer to it.
func pinAll(ctx context.Context, src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if err := os.Link(p, filepath.Join(dst, rel)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("backup: pinning the objects: %w", err)
	}
	return nil
}

// pin hard-links (or, across file systems, copies) into tmp/blobs each object not pinned yet,
// and returns the first one that no longer exists.
func pin(dir, tmp string, keys []string) (string, error) {
	for _, k := range keys {
		if !fs.ValidPath(k) {
			return "", fmt.Errorf("backup: the index names an object %q outside the blob store", k)
		}
		src := filepath.Join(dir, "blobs", filepath.FromSlash(k))
		dst := filepath.Join(tmp, "blobs", filepath.FromSlash(k))
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return "", fmt.Errorf("backup: %w", err)
		}
		err := os.Link(src, dst)
		if errors.Is(err, fs.ErrNotExist) {
			return k, nil
		}
		if err != nil {
			if err := copyFile(src, dst); errors.Is(err, fs.ErrNotExist) {
				return k, nil
			} else if err != nil {
				return "", fmt.Errorf("backup: %w", err)
			}
		}
	}
	return "", nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// addFile writes one file into the archive and returns its size and checksum.
func addFile(ctx context.Context, tw *tar.Writer, name, src string) (File, error) {
	if err := ctx.Err(); err != nil {
		return File{}, err
	}
	f, err := os.Open(src)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tw, h), f)
	if err != nil {
		return File{}, err
	}
	if n != st.Size() {
		return File{}, fmt.Errorf("changed size while copied (%d bytes, then %d)", st.Size(), n)
	}
	return File{Path: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Restore unpacks the archive r into dir, which must be empty or absent, and checks it: every
// file's size and SHA-256 against the manifest, no file missing or extra, the index's
// integrity, and every object the index refers to present. On any failure dir is left empty
// again and the error says what was wrong.
func Restore(ctx context.Context, r io.Reader, dir string) (m Manifest, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	if len(entries) > 0 {
		return m, fmt.Errorf("restore: %s is not empty (%s…): restore only into an empty data directory, so nothing is overwritten", dir, entries[0].Name())
	}
	defer func() {
		if err != nil {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}()
	zr, err := zstd.NewReader(r)
	if err != nil {
		return m, fmt.Errorf("restore: not a Reel backup: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	got := map[string]File{}
	var manifest []byte
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, fmt.Errorf("restore: reading the archive: %w (is it a Reel backup, and whole?)", err)
		}
		if err := ctx.Err(); err != nil {
			return m, err
		}
		if hdr.Name == ManifestName {
			if manifest, err = io.ReadAll(io.LimitReader(tr, 256<<20)); err != nil {
				return m, fmt.Errorf("restore: reading the manifest: %w", err)
			}
			continue
		}
		if hdr.Typeflag != tar.TypeReg || !fs.ValidPath(hdr.Name) || (hdr.Name != "index.db" && !strings.HasPrefix(hdr.Name, "blobs/")) {
			return m, fmt.Errorf("restore: unexpected entry %q in the archive", hdr.Name)
		}
		if _, dup := got[hdr.Name]; dup {
			return m, fmt.Errorf("restore: %s appears twice in the archive", hdr.Name)
		}
		f, err := writeFile(tr, filepath.Join(dir, filepath.FromSlash(hdr.Name)))
		if err != nil {
			return m, fmt.Errorf("restore: %s: %w", hdr.Name, err)
		}
		f.Path = hdr.Name
		got[hdr.Name] = f
	}
	if manifest == nil {
		return m, errors.New("restore: the archive has no MANIFEST.json (cut short?)")
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		return m, fmt.Errorf("restore: the manifest: %w", err)
	}
	if m.Version != Version {
		return m, fmt.Errorf("restore: archive format version %d; this reel reads version %d", m.Version, Version)
	}
	for _, want := range m.Files {
		f, ok := got[want.Path]
		switch {
		case !ok:
			return m, fmt.Errorf("restore: %s is in the manifest but not in the archive", want.Path)
		case f.Size != want.Size || f.SHA256 != want.SHA256:
			return m, fmt.Errorf("restore: %s does not match its checksum (%d bytes, sha256 %s; the manifest says %d bytes, %s)", want.Path, f.Size, f.SHA256, want.Size, want.SHA256)
		}
		delete(got, want.Path)
	}
	for p := range got {
		return m, fmt.Errorf("restore: %s is in the archive but not in its manifest", p)
	}
	c, err := sqlite.Inspect(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		return m, fmt.Errorf("restore: %w", err)
	}
	if c.Sessions != m.Counts.Sessions || c.Projects != m.Counts.Projects {
		return m, fmt.Errorf("restore: the index holds %d sessions of %d projects; the manifest says %d of %d", c.Sessions, c.Projects, m.Counts.Sessions, m.Counts.Projects)
	}
	for _, k := range objectKeys(c) {
		if _, err := os.Stat(filepath.Join(dir, "blobs", filepath.FromSlash(path.Clean(k)))); err != nil {
			return m, fmt.Errorf("restore: the index refers to object %s, which the archive lacks", k)
		}
	}
	return m, nil
}

// writeFile writes one archive entry to path, creating its directory, and returns its size
// and checksum.
func writeFile(r io.Reader, p string) (File, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return File{}, err
	}
	out, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, err
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
