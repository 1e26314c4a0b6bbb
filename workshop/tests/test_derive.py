"""test_derive.py -- tests of workshop/derive: marker parsing, states, patches, and that its checks
catch drift (a source changed without regenerating the patches, a patch that no longer applies).

Run: /usr/bin/python3 -m unittest workshop/tests/test_derive.py   (CTest: workshop.derive_unit)
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
WORKSHOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(WORKSHOP, "tools"))
import derive  # noqa: E402

FIXTURE = os.path.join(HERE, "fixture")
EXPECTED = os.path.join(HERE, "fixture-expected")


def states(text):
    """The text at start, each exercise and final, parsed from a string."""
    parsed = derive.parse(text, "t.c")
    return {s: derive.render(parsed, derive.state_level(s)) for s in derive.STATES}


class Parse(unittest.TestCase):
    def test_block_region_kept_from_its_exercise_on(self):
        text = "a;\n/* WORKSHOP:EX2 BEGIN */\nb;\n/* WORKSHOP:EX2 END */\nc;\n"
        s = states(text)
        self.assertEqual(s["start"], "a;\nc;\n")
        self.assertEqual(s["1"], "a;\nc;\n")
        self.assertEqual(s["2"], "a;\nb;\nc;\n")
        self.assertEqual(s["final"], "a;\nb;\nc;\n")

    def test_single_line_forms_and_comment_styles(self):
        text = "x(); /* WORKSHOP:EX1 */\ny(); // WORKSHOP:EX2\nset(A 1) # WORKSHOP:EX3\nz();\n"
        s = states(text)
        self.assertEqual(s["start"], "z();\n")
        self.assertEqual(s["2"], "x();\ny();\nz();\n")
        self.assertEqual(s["final"], "x();\ny();\nset(A 1)\nz();\n")

    def test_indented_markers_as_clang_format_leaves_them(self):
        text = "{\n        /* WORKSHOP:EX0 BEGIN */\n    f();\n    /*  WORKSHOP:EX0  END */\n}\n"
        self.assertEqual(states(text)["start"], "{\n}\n")
        self.assertEqual(states(text)["0"], "{\n    f();\n}\n")

    def test_cmake_and_shell_block_markers(self):
        text = "a\n# WORKSHOP:EX4 BEGIN\nb\n# WORKSHOP:EX4 END\n"
        self.assertEqual(states(text)["3"], "a\n")
        self.assertEqual(states(text)["4"], "a\nb\n")

    def test_nested_later_exercise_inside_earlier(self):
        text = (
            "/* WORKSHOP:EX1 BEGIN */\nf();\n/* WORKSHOP:EX3 BEGIN */\ng();\n"
            "/* WORKSHOP:EX3 END */\nh(); // WORKSHOP:EX5\n/* WORKSHOP:EX1 END */\n"
        )
        s = states(text)
        self.assertEqual(s["0"], "")
        self.assertEqual(s["1"], "f();\n")
        self.assertEqual(s["3"], "f();\ng();\n")
        self.assertEqual(s["5"], "f();\ng();\nh();\n")

    def test_file_marker_hides_the_file_until_its_exercise(self):
        text = "/* WORKSHOP:EX2 FILE */\n/* m.c -- metrics */\nint m;\n"
        s = states(text)
        self.assertIsNone(s["start"])
        self.assertIsNone(s["1"])
        self.assertEqual(s["2"], "/* m.c -- metrics */\nint m;\n")

    def test_out_parts_are_in_no_state(self):
        text = (
            "a;\n#ifndef NO_M // WORKSHOP:OUT\nm(); /* WORKSHOP:EX1 */\n#endif // WORKSHOP:OUT\n"
            "/* WORKSHOP:EX2 BEGIN */\nb;\n/* WORKSHOP:OUT BEGIN */\nbench();\n"
            "/* WORKSHOP:OUT END */\n/* WORKSHOP:EX2 END */\n"
        )
        s = states(text)
        self.assertEqual(s["start"], "a;\n")
        self.assertEqual(s["1"], "a;\nm();\n")
        self.assertEqual(s["final"], "a;\nm();\nb;\n")

    def test_out_file_is_never_written(self):
        parsed = derive.parse("# WORKSHOP:OUT FILE\nbench\n", "t.cmake")
        self.assertIsNone(derive.render(parsed, derive.state_level("final")))

    def test_blank_lines_around_a_left_out_region_are_tidied(self):
        text = ("/* WORKSHOP:EX1 FILE */\n#include <a.h>\n\n/* WORKSHOP:EX2 BEGIN */\nint x;\n"
                "/* WORKSHOP:EX2 END */\n\nint f(void);\n\nint g; // WORKSHOP:EX3\n")
        s = states(text)
        self.assertEqual(s["1"], "#include <a.h>\n\nint f(void);\n")
        self.assertEqual(s["2"], "#include <a.h>\n\nint x;\n\nint f(void);\n")
        self.assertEqual(s["final"], "#include <a.h>\n\nint x;\n\nint f(void);\n\nint g;\n")
        self.assertEqual(states("x(); // WORKSHOP:EX1\n\nint a;\n\n\nint b;\n")["start"],
                         "int a;\n\n\nint b;\n")  # blank lines the author wrote stay

    def test_unmarked_text_mentioning_the_word_workshop_is_fine(self):
        self.assertEqual(states("/* the WORKSHOP guide */\n")["start"], "/* the WORKSHOP guide */\n")


class ParseErrors(unittest.TestCase):
    def assertBad(self, text, fragment):
        with self.assertRaises(derive.MarkerError) as cm:
            derive.parse(text, "t.c")
        self.assertIn(fragment, str(cm.exception))

    def test_end_without_begin(self):
        self.assertBad("/* WORKSHOP:EX1 END */\n", "t.c:1: END of EX1 without a BEGIN")

    def test_region_never_ends(self):
        self.assertBad("x\n/* WORKSHOP:EX1 BEGIN */\ny\n", "t.c:2: EX1 region never ends")

    def test_end_of_another_exercise(self):
        self.assertBad(
            "/* WORKSHOP:EX1 BEGIN */\n/* WORKSHOP:EX2 END */\n", "END of EX2, but the open region is EX1"
        )

    def test_earlier_exercise_inside_later_region(self):
        self.assertBad(
            "/* WORKSHOP:EX3 BEGIN */\n/* WORKSHOP:EX1 BEGIN */\n/* WORKSHOP:EX1 END */\n"
            "/* WORKSHOP:EX3 END */\n",
            "EX1 region inside an EX3 region",
        )
        self.assertBad("/* WORKSHOP:EX3 BEGIN */\nf(); // WORKSHOP:EX2\n/* WORKSHOP:EX3 END */\n",
                       "EX2 line inside an EX3 region")

    def test_exercise_inside_an_out_region(self):
        self.assertBad("/* WORKSHOP:OUT BEGIN */\nf(); // WORKSHOP:EX2\n/* WORKSHOP:OUT END */\n",
                       "EX2 line inside an OUT region")
        self.assertBad("/* WORKSHOP:OUT BEGIN */\n/* WORKSHOP:EX1 END */\n",
                       "END of EX1, but the open region is OUT")

    def test_wrapped_statement_tail_is_refused(self):
        text = "promc_histogram_observe(h,\n                        now() - t0); /* WORKSHOP:EX4 */\n"
        self.assertBad(text, "t.c:2: the EX4 line does not balance its brackets")
        self.assertBad("if (x) { /* WORKSHOP:EX4 */\n", "does not balance")

    def test_brackets_inside_strings_do_not_count(self):
        self.assertEqual(states('puts("(:"); // WORKSHOP:EX1\n')["1"], 'puts("(:");\n')

    def test_misspelt_marker_is_refused(self):
        self.assertBad("/* WORKSHOP:EX1 BEGN */\n", "malformed marker")
        self.assertBad("/* WORKSHOP:EX1 BEGIN */ f();\n", "malformed marker")
        self.assertBad("/* WORKSHOP:OUT BEGN */\n", "malformed marker")

    def test_exercise_out_of_range(self):
        self.assertBad("f(); /* WORKSHOP:EX12 */\n", "exercise 12 does not exist")

    def test_file_marker_after_a_region(self):
        self.assertBad(
            "/* WORKSHOP:EX1 BEGIN */\n/* WORKSHOP:EX1 END */\n/* WORKSHOP:EX2 FILE */\n",
            "FILE marker must come once",
        )


def run(*args, cwd=None):
    return subprocess.run([os.path.join(WORKSHOP, "derive"), *args], cwd=cwd, capture_output=True,
                          text=True)


class Fixture(unittest.TestCase):
    """The fixture through the command line, as CI runs it on the services."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="test-derive-")
        self.root = os.path.join(self.tmp, "fixture")
        shutil.copytree(FIXTURE, self.root)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def derive(self, *args):
        return run("--root", self.root, "--manifest", os.path.join(self.root, "tree.txt"),
                   "--patches", os.path.join(self.root, "patches"), *args)

    def assertSameTree(self, a, b):
        r = subprocess.run(["diff", "-r", a, b], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_start_and_state1_match_the_goldens(self):
        for state, golden in (("start", "start"), ("1", "state1")):
            out = os.path.join(self.tmp, golden)
            r = self.derive("tree", state, out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertSameTree(out, os.path.join(EXPECTED, golden))

    def test_manifest_exclusion(self):
        out = os.path.join(self.tmp, "final")
        self.derive("tree", "final", out)
        self.assertTrue(os.path.exists(os.path.join(self.root, "app/local/README")))
        self.assertFalse(os.path.exists(os.path.join(out, "app/local")))

    def test_committed_patches_are_current_and_verify_passes(self):
        r = self.derive("check-patches")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.derive("verify")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("start + every patch equals the instrumented code", r.stdout)

    def test_source_change_without_new_patches_is_caught(self):
        main = os.path.join(self.root, "app", "main.c")
        with open(main, encoding="utf-8") as f:
            text = f.read()
        with open(main, "w", encoding="utf-8") as f:
            f.write(text.replace("    return 0;", '    puts("bye"); // WORKSHOP:EX3\n    return 0;'))
        r = self.derive("check-patches")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ex03.patch differs", r.stdout)
        r = self.derive("verify")
        self.assertEqual(r.returncode, 1)
        self.assertIn("FAIL start + every patch equals", r.stdout)
        r = self.derive("patches")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.derive("verify").returncode, 0)

    def test_patch_that_no_longer_applies_is_caught(self):
        main = os.path.join(self.root, "app", "main.c")
        with open(main, encoding="utf-8") as f:
            text = f.read()
        # An unmarked change in the context the patches rely on.
        with open(main, "w", encoding="utf-8") as f:
            f.write(text.replace('"HELLO" : "Hello"', '"HI" : "Hi"'))
        r = self.derive("verify")
        self.assertEqual(r.returncode, 1)
        self.assertIn("FAIL ex00.patch applies", r.stdout)

    def test_bad_marker_fails_every_command_with_its_location(self):
        with open(os.path.join(self.root, "app", "main.c"), "a", encoding="utf-8") as f:
            f.write("/* WORKSHOP:EX2 BEGIN */\n")
        r = self.derive("lint")
        self.assertEqual(r.returncode, 1)
        self.assertIn("app/main.c:", r.stderr)
        self.assertIn("EX2 region never ends", r.stderr)

    def test_tree_refuses_a_non_empty_destination(self):
        out = os.path.join(self.tmp, "busy")
        os.makedirs(out)
        open(os.path.join(out, "x"), "w").close()
        r = self.derive("tree", "start", out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not empty", r.stderr)


if __name__ == "__main__":
    unittest.main()
