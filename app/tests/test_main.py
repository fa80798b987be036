import io
import unittest
from contextlib import redirect_stdout

from main import main


class MainTest(unittest.TestCase):
    def test_prints_greeting_and_uid(self):
        out = io.StringIO()
        with redirect_stdout(out):
            code = main(["main", "Nx"])
        self.assertEqual(code, 0)
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0], "Hello, Nx!")
        self.assertTrue(lines[1].startswith("running as uid="))


if __name__ == "__main__":
    unittest.main()
