package broker

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// decodeStatus decodes /api/status strictly: a field the struct lacks is
// an error, so the documented schema and the answer cannot drift apart.
func decodeStatus(t *testing.T, body string) Status {
	t.Helper()
	var st Status
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("/api/status is not a Status: %v\n%s", err, body)
	}
	return st
}

// Service names are any bytes: the pages escape them in text and in
// links, stay valid UTF-8, and every link leads to the right service.
func TestStatusPageEscapesHostileNames(t *testing.T) {
	tb := startBroker(t, patient)
	hostile := []string{`<script>alert(1)</script>`, "bad\xffname", `quo"te'and&amp`, "a b/c?d=e#f"}
	for _, name := range hostile {
		tb.readyWorker(t, ready(mdp.V02, name))
	}
	h := AdminHandler(tb.Broker)
	code, page := get(t, h, "/")
	if code != http.StatusOK {
		t.Fatalf("/: %d %s", code, page)
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, `quo"te`) || strings.Contains(page, "&amp<") {
		t.Fatalf("a name reached the page unescaped:\n%s", page)
	}
	if !utf8.ValidString(page) {
		t.Fatal("the page is not valid UTF-8")
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `bad\xffname`, "quo&#34;te&#39;and&amp;amp",
		`href="service?name=bad%ff`, `<meta http-equiv="refresh"`} {
		if !strings.Contains(strings.ToLower(page), strings.ToLower(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the page has a script element")
	}

	_, body := get(t, h, "/api/status")
	st := decodeStatus(t, body)
	if len(st.Services) != len(hostile) {
		t.Fatalf("%d services in /api/status, want %d", len(st.Services), len(hostile))
	}
	for _, row := range st.Services {
		u, err := url.Parse(row.Href)
		if err != nil {
			t.Fatalf("href %q: %v", row.Href, err)
		}
		raw := u.Query().Get("name")
		if PrintableName(raw) != row.Name {
			t.Errorf("href %q names %q, row is %q", row.Href, raw, row.Name)
		}
		code, page := get(t, h, "/"+row.Href)
		if code != http.StatusOK || !utf8.ValidString(page) || strings.Contains(page, "<script>") {
			t.Fatalf("%s: %d\n%s", row.Href, code, page)
		}
		if row.Workers != 1 || !strings.Contains(page, "<td class=\"l\">idle</td>") {
			t.Errorf("%s does not list its idle worker:\n%s", row.Href, page)
		}
		code, body := get(t, h, "/api/"+row.Href)
		var svc ServiceStatusJSON
		if err := json.Unmarshal([]byte(body), &svc); code != http.StatusOK || err != nil || svc.Service.Name != row.Name ||
			len(svc.Workers) != 1 || svc.Workers[0].State != "idle" || svc.Workers[0].Protocol != "MDP/0.2" {
			t.Errorf("/api/%s: %d %v %+v", row.Href, code, err, svc)
		}
	}
}

// The service page lists what mmi.workers does; unknown names are 404 and
// a missing name or a bad limit 400.
func TestStatusPageServiceAndErrors(t *testing.T) {
	tb := startBroker(t, patient)
	tb.readyWorker(t, readyMode("db", 1, 2, mdp.ModeExclusive))
	tb.readyWorker(t, readyMode("db", 2, 1, mdp.ModeExclusive))
	w := tb.readyWorker(t, readyExt("calc", 1, 1))
	c := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	c.send(requestExt(id, "calc", waitLong, 0, "x"))
	r := w.expect(mdp.WorkerRequest)
	w.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerError, Ext: true, Address: r.Address, UUID: r.UUID,
		Status: mdp.StatusBadRequest, Text: "no"})
	c.expect(mdp.ClientError)
	h := AdminHandler(tb.Broker)

	code, body := get(t, h, "/api/service?name=db")
	var db ServiceStatusJSON
	if err := json.Unmarshal([]byte(body), &db); code != http.StatusOK || err != nil {
		t.Fatalf("/api/service?name=db: %d %v %s", code, err, body)
	}
	states := map[string]int{}
	for _, w := range db.Workers {
		states[fmt.Sprintf("%d/%s/%d", w.Tier, w.State, w.Capacity)]++
	}
	if db.Service.Mode != "exclusive" || states["1/active/2"] != 1 || states["2/standby/1"] != 1 || len(db.Tiers()) != 2 {
		t.Errorf("db: %+v (workers %v)", db.Service, states)
	}
	_, body = get(t, h, "/api/status")
	for _, row := range decodeStatus(t, body).Services {
		if row.Name == "calc" && (row.Errors.Status4xx != 1 || row.Errors.Status5xx != 0 || row.Requests != 1) {
			t.Errorf("calc errors %+v, requests %d: want one 4xx", row.Errors, row.Requests)
		}
	}
	_, page := get(t, h, "/service?name=db")
	for _, want := range []string{"Service db", "exclusive", "active", "standby", "tier 1: 1 active", "tier 2: 1 standby"} {
		if !strings.Contains(page, want) {
			t.Errorf("db page lacks %q", want)
		}
	}
	for path, want := range map[string]int{
		"/service?name=nobody": 404, "/api/service?name=nobody": 404, "/service": 400, "/api/service": 400,
		"/api/status?limit=0": 400, "/api/status?limit=x": 400, "/?limit=-1": 400, "/api/status?limit=5000": 200,
	} {
		if code, body := get(t, h, path); code != want {
			t.Errorf("%s: %d %s, want %d", path, code, body, want)
		}
	}
}

// Tiers is a test shorthand for the service's tiers.
func (s ServiceStatusJSON) Tiers() []MMITier { return s.Service.Tiers }

// Pages hold at most MaxStatusPage services, in name order, and the next
// link walks them all exactly once.
func TestStatusPaging(t *testing.T) {
	var snap Snapshot
	for i := range 2500 {
		snap.Services = append(snap.Services, ServiceSnapshot{Name: fmt.Sprintf("svc-%05d", i), Mode: "overflow"})
	}
	if st := snap.StatusPage("", 0); len(st.Services) != DefaultStatusPage || st.ServiceCount != 2500 {
		t.Fatalf("default page: %d services of %d", len(st.Services), st.ServiceCount)
	}
	if st := snap.StatusPage("", 1_000_000); len(st.Services) != MaxStatusPage {
		t.Fatalf("page of %d services, bound %d", len(st.Services), MaxStatusPage)
	}
	seen, after, pages := 0, "", 0
	for {
		st := snap.StatusPage(after, 700)
		for i, row := range st.Services {
			if want := fmt.Sprintf("svc-%05d", seen+i); row.Name != want {
				t.Fatalf("page %d row %d: %q, want %q", pages, i, row.Name, want)
			}
		}
		seen += len(st.Services)
		pages++
		if st.Next == "" {
			break
		}
		q, err := url.ParseQuery(st.Next)
		if err != nil || q.Get("limit") != "700" {
			t.Fatalf("next %q: %v", st.Next, err)
		}
		after = q.Get("after")
	}
	if seen != 2500 || pages != 4 {
		t.Fatalf("walked %d services in %d pages, want 2500 in 4", seen, pages)
	}

	// The HTML's next link carries the last name, any bytes, intact.
	snap.Services[DefaultStatusPage-1].Name = "svc-00099\xff&x=<y>"
	rec := httptest.NewRecorder()
	render(rec, overviewPage, snap.StatusPage("", 0))
	m := regexp.MustCompile(`<a href="([^"]*)">next page</a>`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatal("no next link on a full page")
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil || u.Query().Get("after") != snap.Services[DefaultStatusPage-1].Name || u.Query().Get("limit") != "100" {
		t.Fatalf("next link %q: %v, query %v", m[1], err, u.Query())
	}
}

// A service's workers come in pages of MMIWorkersPage, in id order, each
// worker once.
func TestWorkerPages(t *testing.T) {
	cfg := DefaultConfig().withDefaults()
	now := time.Unix(1000, 0)
	c := newCore(cfg, now)
	const n = MMIWorkersPage + 5
	for i := range n {
		m := readyExt("many", 1, 1)
		f, _ := m.AppendFrames([][]byte{[]byte(fmt.Sprintf("w-%05d", i))})
		c.handle(now, f)
	}
	s := c.services["many"]
	first, more := c.workerPage(now, s, "")
	if len(first) != MMIWorkersPage || !more {
		t.Fatalf("first page: %d workers, more %v", len(first), more)
	}
	rest, more := c.workerPage(now, s, first[len(first)-1].ID)
	if len(rest) != 5 || more {
		t.Fatalf("second page: %d workers, more %v", len(rest), more)
	}
	prev := ""
	for _, w := range append(first, rest...) {
		if w.ID <= prev {
			t.Fatalf("worker %s after %s: twice or out of order", w.ID, prev)
		}
		prev = w.ID
	}
}
