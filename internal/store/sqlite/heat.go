package sqlite

import (
	"cmp"
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"modernc.org/sqlite"
)

// A heat row (migration 0013) packs the clicks and page views one session had on one page:
//
//	version byte (1)
//	uvarint n, then n strings (uvarint length, bytes): the tabs and selectors, each once
//	uvarint clicks, each: tab, at, selector, x, y, w, h, page x, page y
//	uvarint views, each: tab, at, seen, depth
//
// Strings are indexes into the list (uvarint); at is the varint of its difference from the
// row's first_at, seen of its difference from at; x and y are unit (below); the rest varints.
// A click costs about 12 bytes where a row of heat_clicks cost about 110 with its indexes.

// heatClick and heatView are one click and one page view as a heat row keeps them.
type heatClick struct {
	tab, selector      string
	at                 int64
	x, y               float64
	w, h, pageX, pageY int64
}

type heatView struct {
	tab      string
	at, seen int64
	depth    int64 // percent
}

const heatVersion = 1

// packHeat encodes a page's clicks and views, each list in time order, relative to base
// (the row's first_at).
func packHeat(base int64, clicks []heatClick, views []heatView) []byte {
	var strs []string
	index := map[string]uint64{}
	str := func(s string) uint64 {
		i, ok := index[s]
		if !ok {
			i = uint64(len(strs))
			index[s] = i
			strs = append(strs, s)
		}
		return i
	}
	var body []byte
	body = binary.AppendUvarint(body, uint64(len(clicks)))
	for _, c := range clicks {
		body = binary.AppendUvarint(body, str(c.tab))
		body = binary.AppendVarint(body, c.at-base)
		body = binary.AppendUvarint(body, str(c.selector))
		body = appendUnit(body, c.x)
		body = appendUnit(body, c.y)
		for _, v := range []int64{c.w, c.h, c.pageX, c.pageY} {
			body = binary.AppendVarint(body, v)
		}
	}
	body = binary.AppendUvarint(body, uint64(len(views)))
	for _, v := range views {
		body = binary.AppendUvarint(body, str(v.tab))
		body = binary.AppendVarint(body, v.at-base)
		body = binary.AppendVarint(body, v.seen-v.at)
		body = binary.AppendVarint(body, v.depth)
	}
	out := []byte{heatVersion}
	out = binary.AppendUvarint(out, uint64(len(strs)))
	for _, s := range strs {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	return append(out, body...)
}

// appendUnit encodes a position within an element's box (0–1). The SDK reports thousandths,
// which take a byte or two; anything else is kept exactly, as the 8 bytes of the double.
func appendUnit(b []byte, x float64) []byte {
	if k := math.Round(x * 1000); k >= 0 && k <= 1000 && k/1000 == x {
		return binary.AppendUvarint(b, uint64(k)<<1)
	}
	b = append(b, 1)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
}

var errHeatRow = errors.New("sqlite: corrupt heat row")

// varintReader decodes a packed row (heat, segments).
type varintReader struct {
	b   []byte
	err error
}

func (r *varintReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errHeatRow
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *varintReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errHeatRow
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *varintReader) unit() float64 {
	v := r.uvarint()
	switch {
	case r.err != nil:
		return 0
	case v&1 == 0:
		return float64(v>>1) / 1000
	case v != 1 || len(r.b) < 8:
		r.err = errHeatRow
		return 0
	}
	x := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return x
}

// unpackHeat decodes a row packed by packHeat with the same base.
func unpackHeat(base int64, data []byte) ([]heatClick, []heatView, error) {
	if len(data) == 0 || data[0] != heatVersion {
		return nil, nil, errHeatRow
	}
	r := &varintReader{b: data[1:]}
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return nil, nil, errHeatRow
	}
	strs := make([]string, 0, n)
	for range n {
		l := r.uvarint()
		if r.err != nil || l > uint64(len(r.b)) {
			return nil, nil, errHeatRow
		}
		strs = append(strs, string(r.b[:l]))
		r.b = r.b[l:]
	}
	str := func() string {
		i := r.uvarint()
		if i >= uint64(len(strs)) {
			r.err = errHeatRow
			return ""
		}
		return strs[i]
	}
	nc := r.uvarint()
	if nc > uint64(len(r.b)) {
		return nil, nil, errHeatRow
	}
	clicks := make([]heatClick, 0, nc)
	for range nc {
		c := heatClick{tab: str(), at: base + r.varint(), selector: str(), x: r.unit(), y: r.unit()}
		c.w, c.h, c.pageX, c.pageY = r.varint(), r.varint(), r.varint(), r.varint()
		if r.err != nil {
			return nil, nil, r.err
		}
		clicks = append(clicks, c)
	}
	nv := r.uvarint()
	if nv > uint64(len(r.b)) {
		return nil, nil, errHeatRow
	}
	views := make([]heatView, 0, nv)
	for range nv {
		v := heatView{tab: str(), at: base + r.varint()}
		v.seen = v.at + r.varint()
		v.depth = r.varint()
		if r.err != nil {
			return nil, nil, r.err
		}
		views = append(views, v)
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, nil, errHeatRow
	}
	return clicks, views, nil
}

// sortHeat puts a row's clicks and views in time order (stable, so equal times keep the order
// they were recorded in) and returns the row's first and last time.
func sortHeat(clicks []heatClick, views []heatView) (first, last int64) {
	slices.SortStableFunc(clicks, func(a, b heatClick) int { return cmp.Compare(a.at, b.at) })
	slices.SortStableFunc(views, func(a, b heatView) int { return cmp.Compare(a.at, b.at) })
	first, last = math.MaxInt64, math.MinInt64
	for _, c := range clicks {
		first, last = min(first, c.at), max(last, c.at)
	}
	for _, v := range views {
		first, last = min(first, v.at), max(last, v.at)
	}
	return first, last
}

func init() {
	// reel_heat_pack exists for migration 0013, which packed the rows of heat_clicks and
	// heat_views: it takes a JSON array of [0, tab, at, selector, x, y, w, h, page_x, page_y]
	// (x and y as text) and [1, tab, at, seen_at, depth] items of one page of one session.
	sqlite.MustRegisterDeterministicScalarFunction("reel_heat_pack", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, _ := args[0].(string)
		var items [][]json.RawMessage
		if err := json.Unmarshal([]byte(s), &items); err != nil {
			return nil, fmt.Errorf("reel_heat_pack: %w", err)
		}
		var clicks []heatClick
		var views []heatView
		for _, it := range items {
			var kind int
			if len(it) == 0 || json.Unmarshal(it[0], &kind) != nil {
				return nil, fmt.Errorf("reel_heat_pack: bad item")
			}
			var err error
			switch {
			case kind == 0 && len(it) == 10:
				var c heatClick
				var x, y string
				err = errors.Join(json.Unmarshal(it[1], &c.tab), json.Unmarshal(it[2], &c.at), json.Unmarshal(it[3], &c.selector),
					json.Unmarshal(it[4], &x), json.Unmarshal(it[5], &y), json.Unmarshal(it[6], &c.w), json.Unmarshal(it[7], &c.h),
					json.Unmarshal(it[8], &c.pageX), json.Unmarshal(it[9], &c.pageY))
				if err == nil {
					c.x, err = strconv.ParseFloat(x, 64)
				}
				if err == nil {
					c.y, err = strconv.ParseFloat(y, 64)
				}
				clicks = append(clicks, c)
			case kind == 1 && len(it) == 5:
				var v heatView
				err = errors.Join(json.Unmarshal(it[1], &v.tab), json.Unmarshal(it[2], &v.at), json.Unmarshal(it[3], &v.seen), json.Unmarshal(it[4], &v.depth))
				views = append(views, v)
			default:
				err = errors.New("bad item")
			}
			if err != nil {
				return nil, fmt.Errorf("reel_heat_pack: %w", err)
			}
		}
		first, _ := sortHeat(clicks, views)
		return packHeat(first, clicks, views), nil
	})
}
