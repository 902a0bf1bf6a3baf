package analyze

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestSteps: rrweb's click on a button is paired with the SDK's reel.click of the same moment
// (selector) and described as the page showed it (text); a reel.click without an rrweb click
// stays a click with its selector alone; track events keep their name, lowercased, and scalar
// properties as ingest indexes them; the page each happened on follows navigation.
func TestSteps(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tab := []json.RawMessage{
		raw(`{"type":4,"timestamp":1000,"data":{"href":"https://shop.example/cart?x=1","width":800,"height":600}}`),
		raw(`{"type":2,"timestamp":1001,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[
			{"type":2,"id":4,"tagName":"button","attributes":{"id":"pay"},"childNodes":[{"type":3,"id":5,"textContent":"Pay now"}]}]}]}]},"initialOffset":{"left":0,"top":0}}}`),
		raw(`{"type":3,"timestamp":2000,"data":{"source":2,"type":2,"id":5,"x":10,"y":10}}`),
		raw(`{"type":5,"timestamp":2001,"data":{"tag":"reel.click","payload":{"selector":"button[id=\"pay\"]","x":0.5,"y":0.5,"w":80,"h":20,"pageX":10,"pageY":10}}}`),
		raw(`{"type":5,"timestamp":2500,"data":{"tag":"reel.track","payload":{"name":"Order_Placed","props":{"plan":"pro","total":42.5,"gift":false,"items":[1],"meta":{"a":1}}}}}`),
		raw(`{"type":5,"timestamp":3000,"data":{"tag":"reel.navigation","payload":{"url":"https://shop.example/thanks"}}}`),
		raw(`{"type":5,"timestamp":3100,"data":{"tag":"reel.click","payload":{"selector":"a:nth-of-type(2)","x":0.1,"y":0.1,"w":5,"h":5,"pageX":1,"pageY":1}}}`),
		raw(`{"type":5,"timestamp":3200,"data":{"tag":"reel.track","payload":{"name":""}}}`),
		raw(`{"type":5,"timestamp":3300,"data":{"tag":"reel.track","payload":"hostile"}}`),
	}
	got := ""
	for _, s := range Steps([][]json.RawMessage{tab}) {
		got += fmt.Sprintf("%d %s %s sel=%s target=%s name=%s props=%v\n", s.At, s.Kind, Path(s.URL), s.Selector, s.Target, s.Name, s.Props)
	}
	want := `2000 click /cart sel=button[id="pay"] target=button#pay "Pay now" name= props=map[]
2500 event /cart sel= target= name=order_placed props=map[gift:false plan:pro total:42.5]
3100 click /thanks sel=a:nth-of-type(2) target= name= props=map[]
`
	if got != want {
		t.Errorf("steps:\n%s\nwant:\n%s", got, want)
	}
}
