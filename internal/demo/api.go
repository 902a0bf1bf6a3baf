package demo

import (
	"hash/fnv"
	"net/http"
	"regexp"
	"strings"

	"github.com/reelhq/reel/internal/apierror"
)

// apiPrefix is where the shop's small JSON API lives. The pages call it with fetch so that a
// newcomer's own visit has network requests for the player's network pane to show, one of
// them failing on purpose.
const apiPrefix = Prefix + "api/"

// maxStockIDs bounds one stock request; the shop's biggest page asks for its whole catalogue.
const maxStockIDs = 50

// productID is what a catalogue id looks like (shop.js); anything else is refused before it
// is hashed or echoed back.
var productID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// serveAPI answers GET /demo/api/…:
//
//	stock?ids=a,b  200 {"stock": {"a": 7, "b": 19}}: how many of each are left
//	delivery       500, always: the delivery estimate is broken on purpose, so every visit
//	               that reaches checkout has a failing request to find in the replay
//
// Anything else under api/ is a JSON 404, and bad input a JSON 400.
func serveAPI(w http.ResponseWriter, r *http.Request, name string) {
	switch name {
	case "stock":
		stock, err := stockFor(r.URL.Query()["ids"])
		if err != nil {
			apierror.Write(w, r, nil, err)
			return
		}
		apierror.JSON(w, http.StatusOK, map[string]any{"stock": stock})
	case "delivery":
		apierror.Write(w, r, nil, apierror.New(http.StatusInternalServerError, "delivery_unavailable",
			"the delivery estimate service is down (on purpose: Reel's demo shop keeps one failing request to replay)"))
	default:
		apierror.Write(w, r, nil, apierror.New(http.StatusNotFound, "not_found", "the demo shop has no such API"))
	}
}

// stockFor returns a made-up but stable stock count (1-23) for each id, so a replay shows the
// same numbers the visitor saw.
func stockFor(params []string) (map[string]int, error) {
	if len(params) != 1 || params[0] == "" {
		return nil, apierror.New(http.StatusBadRequest, "bad_request", "ids: give one comma-separated list of product ids")
	}
	ids := strings.Split(params[0], ",")
	if len(ids) > maxStockIDs {
		return nil, apierror.New(http.StatusBadRequest, "bad_request", "ids: at most 50 product ids")
	}
	stock := make(map[string]int, len(ids))
	for _, id := range ids {
		if !productID.MatchString(id) {
			return nil, apierror.New(http.StatusBadRequest, "bad_request", "ids: a product id is lowercase letters, digits and dashes, up to 64 long")
		}
		h := fnv.New32a()
		h.Write([]byte(id))
		stock[id] = 1 + int(h.Sum32()%23)
	}
	return stock, nil
}
