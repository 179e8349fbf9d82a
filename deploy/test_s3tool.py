"""Unit tests for s3tool.py's pure parts: python3 -m unittest discover -s deploy"""

import os
import subprocess
import tempfile
import unittest

import s3tool


class GrantActionsTest(unittest.TestCase):
    def test_specs(self):
        cases = [
            ("none", []),
            ("read", s3tool.READ_ACTIONS),
            ("write", s3tool.WRITE_ACTIONS),
            ("readwrite", s3tool.READ_ACTIONS + s3tool.WRITE_ACTIONS),
            ("s3:GetObject", ["s3:GetObject"]),
            ("s3:GetObject, s3:PutObject", ["s3:GetObject", "s3:PutObject"]),
        ]
        for spec, want in cases:
            with self.subTest(spec=spec):
                self.assertEqual(s3tool.grant_actions(spec), want)

    def test_bad_specs(self):
        for spec in ["", "bogus", "GetObject", "s3:GetObject,PutObject", ","]:
            with self.subTest(spec=spec):
                with self.assertRaises(s3tool.SetupError):
                    s3tool.grant_actions(spec)


class StatementsTest(unittest.TestCase):
    def test_split_by_resource(self):
        cases = [
            # (actions, principal, want [(actions, resource)])
            (["s3:GetObject"], None, [(["s3:GetObject"], "arn:aws:s3:::b/*")]),
            (["s3:ListBucket"], None, [(["s3:ListBucket"], "arn:aws:s3:::b")]),
            (s3tool.READ_ACTIONS, "alt", [
                (["s3:ListBucket"], "arn:aws:s3:::b"),
                (["s3:GetObject", "s3:GetObjectVersion"], "arn:aws:s3:::b/*")]),
            (["s3:*"], None, [(["s3:*"], "arn:aws:s3:::b"), (["s3:*"], "arn:aws:s3:::b/*")]),
        ]
        for actions, principal, want in cases:
            with self.subTest(actions=actions):
                got = s3tool.statements("b", actions, principal)
                self.assertEqual([(st["Action"], st["Resource"][0]) for st in got], want)
                for st in got:
                    self.assertEqual(st["Effect"], "Allow")
                    if principal is None:
                        self.assertNotIn("Principal", st)
                    else:
                        self.assertEqual(st["Principal"], {"AWS": [principal]})


class EnvFileTest(unittest.TestCase):
    def test_round_trip_with_bash_quoting(self):
        # servers.sh writes with printf %q, s3tool appends with shlex.quote:
        # both must read back as written, spaces and quotes included.
        values = {"PARTCOPY_A": "plain", "PARTCOPY_B": "/x/servers.sh grant /tmp/s d",
                  "PARTCOPY_C": "it's \"q\" $HOME"}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "env")
            with open(path, "w") as f:
                for k, v in values.items():
                    out = subprocess.run(["bash", "-c", 'printf "export %s=%q\\n" "$0" "$1"', k, v],
                                         capture_output=True, text=True, check=True).stdout
                    f.write(out)
            s3tool.append_env(d, {"PARTCOPY_D": "x y'z"})
            got = s3tool.load_env(d)
            self.assertEqual(got, {**values, "PARTCOPY_D": "x y'z"})
            # And bash itself reads the same values back.
            echoed = subprocess.run(["bash", "-c", '. "$0"; printf "%s|" "$PARTCOPY_B" "$PARTCOPY_C" "$PARTCOPY_D"', path],
                                    capture_output=True, text=True, check=True).stdout
            self.assertEqual(echoed, f"{values['PARTCOPY_B']}|{values['PARTCOPY_C']}|x y'z|")

    def test_missing_env(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(s3tool.SetupError):
                s3tool.load_env(d)


if __name__ == "__main__":
    unittest.main()
