package sandbox

import (
	"testing"
)

// FuzzDecodeBusiness: any input decodes or is refused with a *topError, never panics; a decoded
// request re-encodes to JSON that decodes to the same request (the canonical payload is stable).
func FuzzDecodeBusiness(f *testing.F) {
	f.Add(validBody)
	f.Add(`{"brand_id":1332,"change_value":"250","operate_type":"4","new_outer_order_id":"r"}`)
	f.Add(`{"change_value":1.5}`)
	f.Add(`{"change_value":-1,"operate_type":9}`)
	f.Add(`[1,2]`)
	f.Add(`{"reason":"测试 = + - @ \u0000"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := decodeBusiness(raw)
		if err != nil {
			if _, ok := err.(*topError); !ok {
				t.Fatalf("error %T %v; want *topError", err, err)
			}
			return
		}
		enc, err := r.Encode()
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		back, err := decodeBusiness(enc)
		if err != nil || back != r {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", enc, back, err, r)
		}
	})
}
