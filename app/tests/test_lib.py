import os
import unittest

from lib import describe_process, greeting


class GreetingTest(unittest.TestCase):
    def test_greets_by_name(self):
        self.assertEqual(greeting("Nx"), "Hello, Nx!")

    def test_empty_name_greets_the_world(self):
        self.assertEqual(greeting("  "), "Hello, world!")


class DescribeProcessTest(unittest.TestCase):
    def test_names_the_uid(self):
        self.assertEqual(describe_process(), f"uid={os.getuid()} gid={os.getgid()}")


if __name__ == "__main__":
    unittest.main()
