package brokermetrics

import (
	"reflect"
	"testing"

	"github.com/majordomo-go/majordomo/broker"
)

// Every field of broker.Counters is exported by exactly one counter, so a
// counter added to the broker cannot be forgotten here.
func TestEveryCounterExported(t *testing.T) {
	var c broker.Counters
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		v.Field(i).SetUint(uint64(1000 + i))
	}
	for i := range v.NumField() {
		want, found := uint64(1000+i), 0
		for _, row := range counterRows {
			if row.get(c) == want {
				found++
			}
		}
		if found != 1 {
			t.Errorf("Counters.%s is exported by %d counters, want 1", v.Type().Field(i).Name, found)
		}
	}
	if len(counterRows) != v.NumField() {
		t.Errorf("%d counter rows for %d Counters fields", len(counterRows), v.NumField())
	}
}
