// The C API of libxlsxwriter 1.1.4, from Debian's libxlsxwriter-dev, for its types only: the
// module map has no `link` line, and Spreadsheet resolves each function with
// dlopen("libxlsxwriter.so.4") and dlsym the first time a workbook is written.
#include <xlsxwriter.h>
