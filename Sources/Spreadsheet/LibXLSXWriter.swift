// The functions of libxlsxwriter (Debian's libxlsxwriter4), resolved at run time.
//
// Why dlopen: the release binary is one self-contained file (liblmdb and the Swift runtime are
// linked statically), and Debian ships libxlsxwriter only as a shared library, which itself needs
// libminizip and libcrypto. Linking it would make every shop's tenda need all three, although
// only an `.xlsx` download uses it. So CXLSXWriter gives Swift the header's types with no `link`
// line, and this file opens "libxlsxwriter.so.4" (or the path in TENDA_LIBXLSXWRITER) with
// dlopen and looks each function up with dlsym, once, the first time a workbook is written.
// The typealiases mirror /usr/include/xlsxwriter/*.h of libxlsxwriter 1.1.4.
internal import CXLSXWriter

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The libxlsxwriter functions a ``Workbook`` uses, as C function pointers looked up in one place.
struct LibXLSXWriter: @unchecked Sendable {
    /// The soname of Debian's libxlsxwriter4.
    static let defaultPath = "libxlsxwriter.so.4"
    /// The environment variable that may name another library file.
    static let environmentVariable = "TENDA_LIBXLSXWRITER"

    typealias WorkbookNew = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<lxw_workbook_options>?) -> OpaquePointer?
    typealias WorkbookAddWorksheet = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> OpaquePointer?
    typealias WorkbookAddFormat = @convention(c) (OpaquePointer?) -> OpaquePointer?
    typealias WorkbookClose = @convention(c) (OpaquePointer?) -> lxw_error
    typealias FormatSetNumFormat = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Void
    typealias FormatSetBold = @convention(c) (OpaquePointer?) -> Void
    typealias WriteNumber = @convention(c) (OpaquePointer?, lxw_row_t, lxw_col_t, Double, OpaquePointer?) -> lxw_error
    typealias WriteString = @convention(c) (OpaquePointer?, lxw_row_t, lxw_col_t, UnsafePointer<CChar>?, OpaquePointer?) -> lxw_error
    typealias WriteDatetime = @convention(c) (OpaquePointer?, lxw_row_t, lxw_col_t, UnsafeMutablePointer<lxw_datetime>?, OpaquePointer?) -> lxw_error
    typealias SetColumn = @convention(c) (OpaquePointer?, lxw_col_t, lxw_col_t, Double, OpaquePointer?) -> lxw_error
    typealias FreezePanes = @convention(c) (OpaquePointer?, lxw_row_t, lxw_col_t) -> Void
    typealias StrError = @convention(c) (lxw_error) -> UnsafeMutablePointer<CChar>?

    let workbookNew: WorkbookNew
    let addWorksheet: WorkbookAddWorksheet
    let addFormat: WorkbookAddFormat
    let close: WorkbookClose
    let setNumFormat: FormatSetNumFormat
    let setBold: FormatSetBold
    let writeNumber: WriteNumber
    let writeString: WriteString
    let writeDatetime: WriteDatetime
    let setColumn: SetColumn
    let freezePanes: FreezePanes
    let strerror: StrError

    /// Looks up every function in an opened library; throws naming the first one missing.
    private init(handle: UnsafeMutableRawPointer, path: String) throws {
        func f<T>(_ name: String, _: T.Type = T.self) throws -> T {
            guard let pointer = dlsym(handle, name) else {
                throw SpreadsheetError("\(path) has no function \(name): spreadsheets need libxlsxwriter 1.1 (`apt-get install libxlsxwriter4`)")
            }
            return unsafeBitCast(pointer, to: T.self)
        }
        workbookNew = try f("workbook_new_opt")
        addWorksheet = try f("workbook_add_worksheet")
        addFormat = try f("workbook_add_format")
        close = try f("workbook_close")
        setNumFormat = try f("format_set_num_format")
        setBold = try f("format_set_bold")
        writeNumber = try f("worksheet_write_number")
        writeString = try f("worksheet_write_string")
        writeDatetime = try f("worksheet_write_datetime")
        setColumn = try f("worksheet_set_column")
        freezePanes = try f("worksheet_freeze_panes")
        strerror = try f("lxw_strerror")
    }

    /// Libraries opened so far, by path (dlopen handles are never closed: the functions stay valid).
    private static let opened = Mutex<[String: LibXLSXWriter]>([:])

    /// The library named by TENDA_LIBXLSXWRITER, or Debian's.
    static func load() throws -> LibXLSXWriter {
        var path = defaultPath
        if let named = getenv(environmentVariable).map({ String(cString: $0) }), !named.isEmpty { path = named }
        return try opened.withLock { opened in
            if let lib = opened[path] { return lib }
            guard let handle = dlopen(path, RTLD_NOW) else {
                let reason = dlerror().map { String(cString: $0) } ?? "dlopen failed"
                throw SpreadsheetError("\(path) not found: spreadsheets need `apt-get install libxlsxwriter4` (\(reason))")
            }
            let lib = try LibXLSXWriter(handle: handle, path: path)
            opened[path] = lib
            return lib
        }
    }

    /// Throws the library's text for a failed call.
    func check(_ status: lxw_error, _ context: @autoclosure () -> String) throws {
        guard status != LXW_NO_ERROR else { return }
        let text = strerror(status).map { String(cString: $0) } ?? "error \(status.rawValue)"
        throw SpreadsheetError("\(context()): \(text)")
    }
}
