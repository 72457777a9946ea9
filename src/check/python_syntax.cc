#include "check/python_syntax.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <mutex>

#include "util/error.h"

namespace sweinfer::check {
namespace {

std::mutex& InterpreterMutex() {
  static std::mutex mutex;
  return mutex;
}

// Starts the interpreter once, isolated; the GIL is held only inside CheckPythonSyntax.
void EnsureInterpreter() {
  static std::once_flag once;
  std::call_once(once, [] {
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.site_import = 0;
    config.install_signal_handlers = 0;
    config.write_bytecode = 0;
    config.user_site_directory = 0;
    config.parse_argv = 0;
    PyStatus status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
      throw Error(std::string("cannot start the Python parser (libpython3.11): ") +
                  (status.err_msg ? status.err_msg : "unknown error"));
    }
    PyEval_SaveThread();
  });
}

std::string AsString(PyObject* object) {
  if (!object) return "";
  PyObject* text = PyObject_Str(object);
  if (!text) {
    PyErr_Clear();
    return "";
  }
  const char* utf8 = PyUnicode_AsUTF8(text);
  std::string out = utf8 ? utf8 : "";
  Py_DECREF(text);
  return out;
}

}  // namespace

std::optional<SyntaxError> CheckPythonSyntax(std::string_view source, const std::string& filename) {
  if (source.find('\0') != std::string_view::npos) return SyntaxError{0, "source code cannot contain null bytes"};
  EnsureInterpreter();
  std::lock_guard<std::mutex> lock(InterpreterMutex());
  PyGILState_STATE gil = PyGILState_Ensure();
  std::string text(source);
  PyCompilerFlags flags = _PyCompilerFlags_INIT;
  flags.cf_flags = PyCF_ONLY_AST;
  PyObject* tree = Py_CompileStringExFlags(text.c_str(), filename.c_str(), Py_file_input, &flags, 0);
  std::optional<SyntaxError> result;
  if (tree) {
    Py_DECREF(tree);
  } else {
    PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    SyntaxError error;
    if (value) {
      if (PyObject* lineno = PyObject_GetAttrString(value, "lineno")) {
        if (PyLong_Check(lineno)) error.line = PyLong_AsLongLong(lineno);
        Py_DECREF(lineno);
      }
      PyErr_Clear();
      if (PyObject* msg = PyObject_GetAttrString(value, "msg")) {
        error.message = AsString(msg);
        Py_DECREF(msg);
      }
      PyErr_Clear();
      if (error.message.empty()) error.message = AsString(value);
    }
    if (error.message.empty()) error.message = "invalid syntax";
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    result = error;
  }
  PyGILState_Release(gil);
  return result;
}

}  // namespace sweinfer::check
