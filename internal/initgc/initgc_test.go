package initgc

import (
	"os"
	"runtime/debug"
	"strconv"
	"testing"
)

func TestRestoreGivesBackTheGOGCSetting(t *testing.T) {
	want := 100
	switch v := os.Getenv("GOGC"); v {
	case "":
	case "off":
		want = -1
	default:
		// The runtime ignores a value that is not a number.
		if n, err := strconv.Atoi(v); err == nil {
			want = n
		}
	}
	if saved != want {
		t.Fatalf("saved setting = %d, want %d from GOGC", saved, want)
	}
	// Until Restore the collector is off.
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("before Restore the setting is %d, want -1 (off)", got)
	}
	Restore()
	if got := debug.SetGCPercent(want); got != want {
		t.Fatalf("after Restore the setting is %d, want %d", got, want)
	}
}
