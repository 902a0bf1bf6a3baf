package e2e

import (
	"bytes"
	"encoding/binary"
	"sort"
	"unicode/utf16"
)

// wideFont builds a minimal TrueType font in which "W" is a 2-em-wide box (every other
// character is left to the fallback font), so text set in it measures unmistakably wider than
// in any system font: a way to tell in a browser that the font loaded. Tables follow the
// OpenType spec closely enough for Chromium's font sanitizer.
func wideFont(family string) []byte {
	be := func(vs ...any) []byte {
		var b bytes.Buffer
		for _, v := range vs {
			binary.Write(&b, binary.BigEndian, v)
		}
		return b.Bytes()
	}
	const upem, advance = 1000, 2000
	head := be(uint16(1), uint16(0), uint32(0x00010000), uint32(0), uint32(0x5F0F3CF5), uint16(3), uint16(upem),
		int64(0), int64(0), int16(100), int16(0), int16(1900), int16(700), uint16(0), uint16(8), int16(2), int16(0), int16(0))
	hhea := be(uint16(1), uint16(0), int16(800), int16(-200), int16(0), uint16(advance), int16(0), int16(100), int16(1900),
		int16(1), int16(0), int16(0), int16(0), int16(0), int16(0), int16(0), int16(0), uint16(2))
	maxp := be(uint32(0x00010000), uint16(2), uint16(4), uint16(1), uint16(0), uint16(0), uint16(2),
		uint16(0), uint16(0), uint16(0), uint16(0), uint16(0), uint16(0), uint16(0), uint16(0))
	os2 := be(uint16(4), int16(1250), uint16(400), uint16(5), uint16(0),
		int16(650), int16(600), int16(0), int16(75), int16(650), int16(600), int16(0), int16(350), int16(50), int16(300), int16(0),
		[10]byte{}, uint32(1), uint32(0), uint32(0), uint32(0), [4]byte{'N', 'O', 'N', 'E'},
		uint16(0x40), uint16('W'), uint16('W'), int16(800), int16(-200), int16(0), uint16(800), uint16(200),
		uint32(1), uint32(0), int16(500), int16(700), uint16(0), uint16(' '), uint16(1))
	hmtx := be(uint16(500), int16(0), uint16(advance), int16(100))
	// Glyph 1: one clockwise rectangle, 100..1900 by 0..700, four on-curve points.
	glyf := be(int16(1), int16(100), int16(0), int16(1900), int16(700), uint16(3), uint16(0),
		[4]byte{1, 1, 1, 1}, int16(100), int16(0), int16(1800), int16(0), int16(0), int16(700), int16(0), int16(-700))
	loca := be(uint16(0), uint16(0), uint16(len(glyf)/2))
	// cmap format 4: "W" → glyph 1, and the required final segment.
	cmap := be(uint16(0), uint16(1), uint16(3), uint16(1), uint32(12),
		uint16(4), uint16(32), uint16(0), uint16(4), uint16(4), uint16(1), uint16(0),
		uint16('W'), uint16(0xFFFF), uint16(0), uint16('W'), uint16(0xFFFF), int16(1-'W'), int16(1), uint16(0), uint16(0))
	names := []string{"", family, "Regular", family + "-Regular", family + " Regular", "Version 1.0", family + "-Regular"}
	var strs bytes.Buffer
	var recs [][]byte
	for id := 1; id < len(names); id++ {
		s := be(utf16.Encode([]rune(names[id])))
		recs = append(recs, be(uint16(3), uint16(1), uint16(0x409), uint16(id), uint16(len(s)), uint16(strs.Len())))
		strs.Write(s)
	}
	name := be(uint16(0), uint16(len(recs)), uint16(6+12*len(recs)))
	for _, r := range recs {
		name = append(name, r...)
	}
	name = append(name, strs.Bytes()...)
	post := be(uint32(0x00030000), int32(0), int16(-100), int16(50), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0))

	tables := map[string][]byte{"OS/2": os2, "cmap": cmap, "glyf": glyf, "head": head, "hhea": hhea, "hmtx": hmtx,
		"loca": loca, "maxp": maxp, "name": name, "post": post}
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	sum := func(b []byte) uint32 {
		var s uint32
		for i := 0; i < len(b); i += 4 {
			var w [4]byte
			copy(w[:], b[i:])
			s += binary.BigEndian.Uint32(w[:])
		}
		return s
	}
	n := len(tags)
	out := be(uint32(0x00010000), uint16(n), uint16(128), uint16(3), uint16(n*16-128))
	offset := len(out) + 16*n
	var body []byte
	headAt := 0
	for _, tag := range tags {
		t := tables[tag]
		if tag == "head" {
			headAt = offset
		}
		out = append(out, be([4]byte([]byte(tag)), sum(t), uint32(offset), uint32(len(t)))...)
		padded := append(append([]byte{}, t...), make([]byte, (4-len(t)%4)%4)...)
		body = append(body, padded...)
		offset += len(padded)
	}
	out = append(out, body...)
	binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-sum(out))
	return out
}
