"""Tests of check_template.py: each check passes on the repository as it is and fails, naming the culprit, on
a template or doc broken the way a later change could break them. Run by tests/run.sh
(`python -m unittest discover -s infra/scripts`)."""

import copy
import json
import os
import tempfile
import unittest

import check_template as ct


class Functions(unittest.TestCase):
    def setUp(self):
        self.template = ct.load(ct.TEMPLATE)

    def test_every_function_of_the_template_is_buildable_by_sam(self):
        self.assertEqual(ct.check_functions(self.template), [])
        self.assertGreaterEqual(len(ct.functions(self.template)), 5)

    def test_a_binary_that_names_no_binary_of_its_package_is_refused(self):
        broken = copy.deepcopy(self.template)
        broken["Resources"]["DetectorFunction"]["Metadata"]["BuildProperties"]["Binary"] = "detectr"
        errors = ct.check_functions(broken)
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("DetectorFunction: Binary 'detectr' names no binary", errors[0])

    def test_the_workspace_root_as_code_uri_is_refused(self):
        # The layout that broke `sam build`: cargo lambda ran at the root, where default-members hid the binary.
        broken = copy.deepcopy(self.template)
        broken["Resources"]["CollectorFunction"]["Properties"]["CodeUri"] = ".."
        errors = ct.check_functions(broken)
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("CollectorFunction: CodeUri '..' is not a package folder", errors[0])

    def test_a_function_without_the_cargo_lambda_build_method_is_refused(self):
        broken = copy.deepcopy(self.template)
        del broken["Resources"]["NotifierFunction"]["Metadata"]["BuildMethod"]
        errors = ct.check_functions(broken)
        self.assertTrue(any("NotifierFunction: Metadata.BuildMethod" in e for e in errors), errors)


class Parameters(unittest.TestCase):
    def setUp(self):
        self.template = ct.load(ct.TEMPLATE)
        with open(ct.DEPLOY_DOC, encoding="utf-8") as f:
            self.doc = f.read()

    def check(self, doc_text, template=None):
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as f:
            f.write(doc_text)
        try:
            return ct.check_parameters(template or self.template, f.name)
        finally:
            os.unlink(f.name)

    def test_the_deploy_doc_lists_every_parameter_with_its_default(self):
        self.assertEqual(self.check(self.doc), [])

    def test_a_changed_default_is_caught(self):
        template = copy.deepcopy(self.template)
        template["Parameters"]["RetentionDays"]["Default"] = 90
        errors = self.check(self.doc, template)
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("parameter RetentionDays: documented default", errors[0])
        self.assertIn("the template's is `90`", errors[0])

    def test_a_new_parameter_missing_from_the_doc_is_caught(self):
        template = copy.deepcopy(self.template)
        template["Parameters"]["Extra"] = {"Type": "String", "Default": ""}
        errors = self.check(self.doc, template)
        self.assertEqual(len(errors), 1, errors)
        self.assertTrue(errors[0].endswith(": parameter Extra of the template is missing from the Parameters table"))

    def test_a_documented_parameter_the_template_lacks_is_caught(self):
        template = copy.deepcopy(self.template)
        del template["Parameters"]["DryRun"]
        errors = self.check(self.doc, template)
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("lists DryRun, which the template does not have", errors[0])


class Built(unittest.TestCase):
    def test_a_build_folder_without_bootstraps_is_refused_per_function(self):
        template = ct.load(ct.TEMPLATE)
        with tempfile.TemporaryDirectory() as build:
            built = copy.deepcopy(template)
            for name in ct.functions(built):
                built["Resources"][name]["Properties"]["CodeUri"] = name
            with open(os.path.join(build, "template.yaml"), "w") as f:
                json.dump(built, f)  # JSON is YAML
            os.makedirs(os.path.join(build, "CollectorFunction"))
            with open(os.path.join(build, "CollectorFunction", "bootstrap"), "wb") as f:
                f.write(b"\x7fELF" + bytes(14) + (0x3E).to_bytes(2, "little"))  # an x86-64 ELF
            errors = ct.check_built(template, build)
        self.assertIn(f"{build}/CollectorFunction/bootstrap: not an arm64 ELF executable", errors)
        missing = [e for e in errors if e.endswith("missing: sam build made no bootstrap for DetectorFunction")]
        self.assertEqual(len(missing), 1, errors)
        self.assertFalse(any("differs from" in e for e in errors), errors)

    def test_a_built_template_that_differs_beyond_code_uri_is_refused(self):
        template = ct.load(ct.TEMPLATE)
        built = copy.deepcopy(template)
        for name in ct.functions(built):
            built["Resources"][name]["Properties"]["CodeUri"] = name
        built["Resources"]["DetectorFunction"]["Properties"]["Timeout"] = 900
        self.assertNotEqual(ct.normalized_build(built), ct.normalized_build(template))
        built["Resources"]["DetectorFunction"]["Properties"]["Timeout"] = template["Resources"]["DetectorFunction"][
            "Properties"
        ]["Timeout"]
        self.assertEqual(ct.normalized_build(built), ct.normalized_build(template))


if __name__ == "__main__":
    unittest.main()
