package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// inVariantTree makes a kit folder with one solution file and the given
// known-wrong variants of stage s, and moves into it.
func inVariantTree(t *testing.T, s stage, variants map[string]string) {
	t.Helper()
	inSolutionTree(t, s, map[string]string{"store.go": "package bank\n\nconst checked = true\n"})
	dir := filepath.Join(s.TestDir(), "known-wrong")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, text := range variants {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".txt"), []byte(text), 0o644))
	}
}

const uncheckedVariant = "The check switched off.\ncaught-by: Test1_1_Checked\nfile: store.go\n--- find\nconst checked = true\n--- replace\nconst checked = false\n--- end\n"

func TestRunFindVariantByName(t *testing.T) {
	s := stage{Number: 1, Slug: "01-crud"}
	inVariantTree(t, s, map[string]string{"unchecked": uncheckedVariant, "other": uncheckedVariant})
	v, err := findVariant(s, "unchecked")
	require.NoError(t, err)
	require.Equal(t, "unchecked", v.Name)
	require.Equal(t, "The check switched off.", v.Why)
}

func TestRunFindVariantRefusesAnUnknownNameListingTheValidOnes(t *testing.T) {
	s := stage{Number: 1, Slug: "01-crud"}
	inVariantTree(t, s, map[string]string{"unchecked": uncheckedVariant, "other": uncheckedVariant})
	_, err := findVariant(s, "uncheked")
	require.EqualError(t, err, "stage 1 has no known-wrong variant \"uncheked\"; its variants are:\n  other\n  unchecked")
}

func TestRunFindVariantInAStageWithoutVariants(t *testing.T) {
	s := stage{Number: 1, Slug: "01-crud"}
	inVariantTree(t, s, nil)
	_, err := findVariant(s, "any")
	require.ErrorContains(t, err, "stage 1 has no known-wrong variants")
}

func TestRunVariantOverlayPointsTheSolutionFileAtItsPatchedCopy(t *testing.T) {
	s := stage{Number: 1, Slug: "01-crud"}
	inVariantTree(t, s, map[string]string{"unchecked": uncheckedVariant})
	v, err := findVariant(s, "unchecked")
	require.NoError(t, err)

	overlay, err := writeVariantOverlay(s, v, filepath.Join(".data", "variants"))
	require.NoError(t, err)
	require.Equal(t, filepath.Join(".data", "variants", "01-crud-unchecked.json"), overlay)
	data, err := os.ReadFile(overlay)
	require.NoError(t, err)
	var o struct{ Replace map[string]string }
	require.NoError(t, json.Unmarshal(data, &o))
	solution, err := filepath.Abs(filepath.Join("solutions", "01-crud", "store.go"))
	require.NoError(t, err)
	require.Len(t, o.Replace, 1)
	patched, err := os.ReadFile(o.Replace[solution])
	require.NoError(t, err)
	require.Equal(t, "package bank\n\nconst checked = false\n", string(patched))

	orig, err := os.ReadFile(solution)
	require.NoError(t, err)
	require.Equal(t, "package bank\n\nconst checked = true\n", string(orig), "the solution is never edited in place")
}

func TestRunVariantStoryComesFirst(t *testing.T) {
	var out strings.Builder
	printVariantStory(&out, stage{Number: 1, Slug: "01-crud"}, variant{Name: "unchecked", Why: "Line one.\nLine two.", CaughtBy: []string{"Test1_1_A", "Test1_1_B"}})
	require.Equal(t, "\nKnown-wrong variant \"unchecked\" of stage 1 is switched on (exercises_test/01-crud/known-wrong/unchecked.txt):\n\n"+
		"  Line one.\n  Line two.\n\n  The tests that catch it: Test1_1_A, Test1_1_B\n\n", out.String())
}

func TestRunAVariantGetsAFreshDatabaseOfItsOwn(t *testing.T) {
	t.Chdir(t.TempDir())
	s, v := stage{Number: 1, Slug: "01-crud"}, variant{Name: "read-modify-write"}
	db := filepath.Join(".data", "variants", "01-crud-read-modify-write.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(db), 0o755))
	require.NoError(t, os.WriteFile(db, []byte("what the last run broke"), 0o644))
	require.Equal(t, []string{"-db", db, "-addr", "127.0.0.1:8081"}, variantDatabase(s, v, []string{"-addr", "127.0.0.1:8081"}))
	_, err := os.Stat(db)
	require.True(t, os.IsNotExist(err), "the last run's database is removed")
	for _, named := range [][]string{{"-db", "mine.db"}, {"-db=mine.db"}, {"--db", "mine.db"}} {
		require.Equal(t, named, variantDatabase(s, v, named), "a database named in ARGS is used as it is")
	}
}
