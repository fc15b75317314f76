package analyze

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/meshctl/meshctl/internal/testutil/golden"
)

const samplesDir = "../../samples"

// analyzeSample runs every analyzer over one sample directory, the way
// `meshctl analyze DIR` does.
func analyzeSample(t *testing.T, dir string) []Message {
	t.Helper()
	in, err := ReadFiles([]string{dir}, nil, "default")
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Resources) == 0 {
		t.Fatalf("%s: no resources read", dir)
	}
	return Run(NewSnapshot(in.Resources, SnapshotOptions{}), All(), RunOptions{})
}

// The exact codes each broken sample must produce, one entry per finding.
var expectedCodes = map[string][]string{
	"helloworld": {"IST0002", "IST0002", "IST0101", "IST0101", "IST0111", "IST0111"},
	"bookinfo": {"IST0101", "IST0106", "IST0107", "IST0108", "IST0109", "IST0109", "IST0112", "IST0118", "IST0123",
		"IST0125", "IST0127", "IST0128", "IST0130", "IST0130", "IST0131", "IST0131", "IST0132", "IST0135", "IST0137", "IST0144",
		"IST0145", "IST0145", "IST0162", "IST0173", "IST0174"},
	"security": {"IST0102", "IST0106", "IST0106", "IST0127", "IST0128"},
	"egress":   {"IST0101", "IST0101", "IST0101", "IST0111", "IST0111"},
	"legacy":   {"IST0002", "IST0002", "IST0002", "IST0002", "IST0002"},
}

func TestSamples(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(samplesDir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		if _, err := os.Stat(filepath.Join(samplesDir, name, "broken")); err != nil {
			continue // not a good/broken sample
		}
		want, ok := expectedCodes[name]
		if !ok {
			t.Errorf("sample %s has no expected codes in this test", name)
			continue
		}
		seen++
		t.Run(name+"/good", func(t *testing.T) {
			t.Parallel()
			if ms := analyzeSample(t, filepath.Join(samplesDir, name, "good")); len(ms) != 0 {
				var b strings.Builder
				_ = WriteLog(&b, ms, false)
				t.Fatalf("good sample has findings:\n%s", b.String())
			}
		})
		t.Run(name+"/broken", func(t *testing.T) {
			t.Parallel()
			ms := analyzeSample(t, filepath.Join(samplesDir, name, "broken"))
			var got []string
			for _, m := range ms {
				got = append(got, m.Type.Code)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("codes = %v\nwant    %v", got, want)
			}
			var b bytes.Buffer
			if err := WriteLog(&b, ms, false); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "golden", name+"-broken.log"), bytes.ReplaceAll(b.Bytes(), []byte(samplesDir+"/"), []byte("samples/")))
		})
	}
	if seen != len(expectedCodes) {
		t.Errorf("found %d samples, expected %d", seen, len(expectedCodes))
	}
}
