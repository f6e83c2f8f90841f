"""Bounds on time and memory for attachments (module constants: tests and callers may patch)."""

MAX_PDF_PAGES = 60               # pages read from one PDF; the rest skipped with a warning
PDF_TIME_BUDGET = 60.0           # seconds for a PDF's text layer; pages after that are skipped
MAX_OCR_PAGES = 20               # pages OCR'd from one scanned PDF
OCR_TIME_BUDGET = 300.0          # seconds of OCR for one document
OCR_PAGE_TIMEOUT = 90.0          # seconds for one pdftoppm or tesseract run
OCR_SCALE = 2300                 # long side of a rendered page in pixels (≈200 dpi on A4)
TOOL_MEMORY = 2 << 30            # address-space limit of pdftoppm / tesseract (bytes)
OFFICE_TIMEOUT = 120.0           # seconds for one LibreOffice conversion
OFFICE_MEMORY = 6 << 30          # address-space limit of LibreOffice (it maps a lot)
MAX_ZIP_UNCOMPRESSED = 50 << 20  # a DOCX that inflates past this is refused (zip bomb)
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_RATIO = 200              # a member compressed more than this is refused
MAX_REPAIR_SCAN = 64 << 20        # bytes searched for the catalog of a damaged PDF
MAX_TEXT_CHARS = 5_000_000       # text taken from one attachment
