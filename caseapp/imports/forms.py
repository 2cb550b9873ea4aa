from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField


class UploadForm(FlaskForm):
    """Either one workbook, or the CSV files (one or both tables)."""

    workbook = FileField(_l("XLSX workbook (sheets 'returnees' and 'assistance')"),
                         validators=[FileAllowed(["xlsx"], _l("A workbook is an .xlsx file."))])
    returnees = FileField(_l("or returnees table (CSV)"),
                          validators=[FileAllowed(["csv", "txt"], _l("A table is a .csv file."))])
    assistance = FileField(_l("and/or assistance table (CSV)"),
                           validators=[FileAllowed(["csv", "txt"], _l("A table is a .csv file."))])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.workbook.data and (self.returnees.data or self.assistance.data):
            self.form_errors.append(_l("Upload either a workbook or CSV files, not both."))
            return False
        if not (self.workbook.data or self.returnees.data or self.assistance.data):
            self.form_errors.append(_l("Choose a file to import."))
            return False
        return True
