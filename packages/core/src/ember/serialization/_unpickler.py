"""A restricted unpickler: rebuilds tensors and plain Python data, and never runs code from the file.

``pickle.Unpickler`` resolves any ``module.name`` the file asks for and calls it, which is how a
malicious checkpoint runs ``os.system``. This module interprets the pickle opcodes itself instead
(like ``torch.load(weights_only=True)``): a global (``GLOBAL``, ``STACK_GLOBAL``, ``INST``, ``OBJ``)
resolves only through an allow-list of names — PyTorch's rebuild functions, storage types, dtypes,
``torch.Size``/``torch.device``, ``collections.OrderedDict`` and a few builtins, mapped to ember's
equivalents — plus what the user adds with ``add_safe_globals``. Anything else raises
``WeightsUnpicklingError`` naming the global, before anything is imported or called. ``REDUCE``,
``NEWOBJ`` and ``BUILD`` only apply to objects that came from the allow-list.
"""

from __future__ import annotations

import _compat_pickle
import codecs
import contextlib
import pickle
import struct
from collections import Counter, OrderedDict

__all__ = ["WeightsUnpicklingError", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals"]


class WeightsUnpicklingError(pickle.UnpicklingError):
    """A checkpoint asked for something the weights-only loader refuses (an unknown global, an
    unsupported opcode, a persistent id that is not a storage)."""


# ---- the allow-list -------------------------------------------------------------------------------

_user_globals: list = []  # what add_safe_globals added: objects or (object, "module.name")


def add_safe_globals(safe_globals: list) -> None:
    """Allow ``ember.load(weights_only=True)`` to resolve these globals.

    Args:
        safe_globals: classes or functions (looked up as ``obj.__module__ + "." +
            obj.__qualname__``), or ``(obj, "module.name")`` pairs for objects that the file
            names differently (e.g. a ``torch.*`` name that should map to your own class).
    """
    for entry in safe_globals:
        if isinstance(entry, tuple):
            if len(entry) != 2 or not isinstance(entry[1], str):
                raise TypeError("add_safe_globals expects objects or (object, 'module.name') "
                                f"pairs, got {entry!r}")
        elif not hasattr(entry, "__qualname__"):
            raise TypeError(f"add_safe_globals: {entry!r} has no __module__/__qualname__; pass "
                            "(object, 'module.name') instead")
        if entry not in _user_globals:
            _user_globals.append(entry)


def get_safe_globals() -> list:
    """The globals that ``add_safe_globals`` added (not the built-in allow-list)."""
    return list(_user_globals)


def clear_safe_globals() -> None:
    """Forget everything ``add_safe_globals`` added."""
    _user_globals.clear()


@contextlib.contextmanager
def safe_globals(globals_: list):
    """Within the ``with`` block, ``globals_`` are allowed too (see ``add_safe_globals``)."""
    before = list(_user_globals)
    add_safe_globals(globals_)
    try:
        yield
    finally:
        _user_globals[:] = before


def _user_table() -> dict:
    table = {}
    for entry in _user_globals:
        if isinstance(entry, tuple):
            table[entry[1]] = entry[0]
        else:
            table[f"{entry.__module__}.{entry.__qualname__}"] = entry
    return table


_builtin_table: dict | None = None


def builtin_table() -> dict:
    """``"module.name"`` → the ember object it stands for (built on first use)."""
    global _builtin_table
    if _builtin_table is None:
        from . import _tensors

        table = {
            "collections.OrderedDict": OrderedDict,
            "collections.Counter": Counter,
            "_codecs.encode": _encode,  # how protocol 2 pickles bytes
            "builtins.set": set,
            "builtins.complex": complex,
            "builtins.bytearray": bytearray,
        }
        table.update(_tensors.torch_globals())
        _builtin_table = table
    return _builtin_table


def _encode(obj, encoding="utf-8", errors="strict"):
    """``_codecs.encode`` restricted to text encodings of a str (``str.encode`` refuses the
    others), which is all protocol 2 needs to pickle ``bytes``."""
    if not isinstance(obj, str):
        raise WeightsUnpicklingError(f"_codecs.encode expects a str, got {type(obj).__name__}")
    return obj.encode(encoding, errors)


def resolve(module: str, name: str, *, allow: bool = True):
    """The allowed object for global ``module.name``; refuses anything else without importing."""
    if (module, name) in _compat_pickle.NAME_MAPPING:  # Python 2 names (protocol 2 writes some)
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.IMPORT_MAPPING:
        module = _compat_pickle.IMPORT_MAPPING[module]
    full = f"{module}.{name}"
    if allow:
        table = builtin_table()
        if full in table:
            return table[full]
        user = _user_table()
        if full in user:
            return user[full]
    raise WeightsUnpicklingError(
        f"unsupported global {full}: it is not in the allow-list of ember.load(weights_only=True). "
        f"If you trust this checkpoint, allow it with ember.serialization.add_safe_globals([...]) "
        f"or load with weights_only=False.")


def _allowed_callables() -> list:
    return [*builtin_table().values(), *_user_table().values()]


def _is_allowed(obj) -> bool:
    return any(obj is v for v in _allowed_callables())


# ---- the interpreter ------------------------------------------------------------------------------

_OPS: dict = {}


def _op(*codes: bytes):
    def register(fn):
        for c in codes:
            _OPS[c[0]] = fn
        return fn

    return register


class RestrictedUnpickler:
    """Interprets one pickle from ``file`` with the allow-list above.

    Args:
        file: a binary file positioned at the pickle.
        persistent_load: called with each persistent id (a tuple); None refuses them.
        allow_globals: False refuses every global (for pickles that hold only plain data).
        end: the file position where the data ends; reads beyond it raise ``EOFError`` before
            anything is allocated (so a corrupted length cannot ask for terabytes).
        encoding: how Python 2 ``str`` (``BINSTRING``) is decoded; ``"bytes"`` keeps bytes.
    """

    def __init__(self, file, persistent_load=None, *, allow_globals: bool = True,
                 end: int | None = None, encoding: str = "utf-8"):
        self._file = file
        self._end = end
        self._persistent_load = persistent_load
        self._allow = allow_globals
        self._encoding = encoding
        self.memo: dict = {}

    # reading, bounded by the data that is actually there
    def read(self, n: int) -> bytes:
        if n < 0:
            raise WeightsUnpicklingError("negative length in pickle data")
        if self._end is not None and n > self._end - self._file.tell():
            raise EOFError("pickle data ends early")
        data = self._file.read(n)
        if len(data) < n:
            raise EOFError("pickle data ends early")
        return data

    def readline(self) -> bytes:
        line = self._file.readline()
        if not line.endswith(b"\n"):
            raise EOFError("pickle data ends early")
        return line[:-1]

    def load(self):
        self.stack: list = []
        self.metastack: list = []
        while True:
            code = self._file.read(1)
            if not code:
                raise EOFError("pickle data ends early")
            fn = _OPS.get(code[0])
            if fn is None:
                raise WeightsUnpicklingError(f"unsupported pickle opcode {code!r} (byte "
                                             f"{code[0]}) at position {self._file.tell() - 1}")
            try:
                if fn(self) is _STOP:
                    return self.stack.pop()
            except _Forward as f:  # raised by a rebuild function or persistent_load: as is
                raise f.error from f.error.__cause__
            except (WeightsUnpicklingError, EOFError):
                raise
            except (IndexError, KeyError, ValueError, TypeError, struct.error,
                    UnicodeDecodeError) as e:
                raise WeightsUnpicklingError(f"corrupted pickle data at position "
                                             f"{self._file.tell()}: {type(e).__name__}: {e}") from e

    def pop_mark(self) -> list:
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def find_global(self, module: str, name: str):
        return resolve(module, name, allow=self._allow)

    # ---- structure
    @_op(pickle.PROTO)
    def _proto(self):
        proto = self.read(1)[0]
        if proto > pickle.HIGHEST_PROTOCOL:
            raise WeightsUnpicklingError(f"unsupported pickle protocol {proto}")

    @_op(pickle.FRAME)
    def _frame(self):
        self.read(8)  # a length hint; the opcodes follow in the same stream

    @_op(pickle.STOP)
    def _stop(self):
        return _STOP

    @_op(pickle.MARK)
    def _mark(self):
        self.metastack.append(self.stack)
        self.stack = []

    @_op(pickle.POP)
    def _pop(self):
        if self.stack:
            self.stack.pop()
        else:
            self.pop_mark()

    @_op(pickle.POP_MARK)
    def _pop_mark(self):
        self.pop_mark()

    @_op(pickle.DUP)
    def _dup(self):
        self.stack.append(self.stack[-1])

    # ---- memo
    @_op(pickle.PUT)
    def _put(self):
        self.memo[int(self.readline())] = self.stack[-1]

    @_op(pickle.BINPUT)
    def _binput(self):
        self.memo[self.read(1)[0]] = self.stack[-1]

    @_op(pickle.LONG_BINPUT)
    def _long_binput(self):
        self.memo[struct.unpack("<I", self.read(4))[0]] = self.stack[-1]

    @_op(pickle.MEMOIZE)
    def _memoize(self):
        self.memo[len(self.memo)] = self.stack[-1]

    @_op(pickle.GET)
    def _get(self):
        self.stack.append(self.memo[int(self.readline())])

    @_op(pickle.BINGET)
    def _binget(self):
        self.stack.append(self.memo[self.read(1)[0]])

    @_op(pickle.LONG_BINGET)
    def _long_binget(self):
        self.stack.append(self.memo[struct.unpack("<I", self.read(4))[0]])

    # ---- scalars
    @_op(pickle.NONE)
    def _none(self):
        self.stack.append(None)

    @_op(pickle.NEWTRUE)
    def _true(self):
        self.stack.append(True)

    @_op(pickle.NEWFALSE)
    def _false(self):
        self.stack.append(False)

    @_op(pickle.INT)
    def _int(self):
        data = self.readline()
        if data in (b"00", b"01"):  # protocol 0 booleans
            self.stack.append(data == b"01")
        else:
            self.stack.append(int(data, 0))

    @_op(pickle.BININT)
    def _binint(self):
        self.stack.append(struct.unpack("<i", self.read(4))[0])

    @_op(pickle.BININT1)
    def _binint1(self):
        self.stack.append(self.read(1)[0])

    @_op(pickle.BININT2)
    def _binint2(self):
        self.stack.append(struct.unpack("<H", self.read(2))[0])

    @_op(pickle.LONG)
    def _long(self):
        self.stack.append(int(self.readline().rstrip(b"L"), 0))

    @_op(pickle.LONG1)
    def _long1(self):
        self.stack.append(pickle.decode_long(self.read(self.read(1)[0])))

    @_op(pickle.LONG4)
    def _long4(self):
        n = struct.unpack("<i", self.read(4))[0]
        self.stack.append(pickle.decode_long(self.read(n)))

    @_op(pickle.FLOAT)
    def _float(self):
        self.stack.append(float(self.readline()))

    @_op(pickle.BINFLOAT)
    def _binfloat(self):
        self.stack.append(struct.unpack(">d", self.read(8))[0])

    # ---- strings and bytes
    def _py2_str(self, data: bytes):
        return data if self._encoding == "bytes" else data.decode(self._encoding)

    @_op(pickle.STRING)
    def _string(self):
        data = self.readline()
        if len(data) < 2 or data[0] != data[-1] or data[0] not in b"\"'":
            raise WeightsUnpicklingError("the STRING opcode argument must be quoted")
        self.stack.append(self._py2_str(codecs.escape_decode(data[1:-1])[0]))

    @_op(pickle.BINSTRING)
    def _binstring(self):
        n = struct.unpack("<i", self.read(4))[0]
        self.stack.append(self._py2_str(self.read(n)))

    @_op(pickle.SHORT_BINSTRING)
    def _short_binstring(self):
        self.stack.append(self._py2_str(self.read(self.read(1)[0])))

    @_op(pickle.UNICODE)
    def _unicode(self):
        self.stack.append(str(self.readline(), "raw-unicode-escape"))

    @_op(pickle.SHORT_BINUNICODE)
    def _short_binunicode(self):
        self.stack.append(str(self.read(self.read(1)[0]), "utf-8", "surrogatepass"))

    @_op(pickle.BINUNICODE)
    def _binunicode(self):
        n = struct.unpack("<I", self.read(4))[0]
        self.stack.append(str(self.read(n), "utf-8", "surrogatepass"))

    @_op(pickle.BINUNICODE8)
    def _binunicode8(self):
        n = struct.unpack("<Q", self.read(8))[0]
        self.stack.append(str(self.read(n), "utf-8", "surrogatepass"))

    @_op(pickle.SHORT_BINBYTES)
    def _short_binbytes(self):
        self.stack.append(self.read(self.read(1)[0]))

    @_op(pickle.BINBYTES)
    def _binbytes(self):
        self.stack.append(self.read(struct.unpack("<I", self.read(4))[0]))

    @_op(pickle.BINBYTES8)
    def _binbytes8(self):
        self.stack.append(self.read(struct.unpack("<Q", self.read(8))[0]))

    @_op(pickle.BYTEARRAY8)
    def _bytearray8(self):
        self.stack.append(bytearray(self.read(struct.unpack("<Q", self.read(8))[0])))

    # ---- containers
    @_op(pickle.EMPTY_TUPLE)
    def _empty_tuple(self):
        self.stack.append(())

    @_op(pickle.TUPLE)
    def _tuple(self):
        items = self.pop_mark()
        self.stack.append(tuple(items))

    @_op(pickle.TUPLE1)
    def _tuple1(self):
        self.stack[-1] = (self.stack[-1],)

    @_op(pickle.TUPLE2)
    def _tuple2(self):
        self.stack[-2:] = [tuple(self.stack[-2:])]

    @_op(pickle.TUPLE3)
    def _tuple3(self):
        self.stack[-3:] = [tuple(self.stack[-3:])]

    @_op(pickle.EMPTY_LIST)
    def _empty_list(self):
        self.stack.append([])

    @_op(pickle.LIST)
    def _list(self):
        items = self.pop_mark()
        self.stack.append(items)

    @_op(pickle.APPEND)
    def _append(self):
        item = self.stack.pop()
        self._list_target().append(item)

    @_op(pickle.APPENDS)
    def _appends(self):
        items = self.pop_mark()
        self._list_target().extend(items)

    def _list_target(self) -> list:
        target = self.stack[-1]
        if type(target) is not list:
            raise WeightsUnpicklingError(f"can only append to lists, not {type(target).__name__}")
        return target

    @_op(pickle.EMPTY_DICT)
    def _empty_dict(self):
        self.stack.append({})

    @_op(pickle.DICT)
    def _dict(self):
        items = self.pop_mark()
        self.stack.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})

    @_op(pickle.SETITEM)
    def _setitem(self):
        value, key = self.stack.pop(), self.stack.pop()
        self._dict_target()[key] = value

    @_op(pickle.SETITEMS)
    def _setitems(self):
        items = self.pop_mark()
        target = self._dict_target()
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def _dict_target(self) -> dict:
        target = self.stack[-1]
        if type(target) not in (dict, OrderedDict, Counter):
            raise WeightsUnpicklingError("can only set items of dict, OrderedDict or Counter, "
                                         f"not {type(target).__name__}")
        return target

    @_op(pickle.EMPTY_SET)
    def _empty_set(self):
        self.stack.append(set())

    @_op(pickle.ADDITEMS)
    def _additems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is not set:
            raise WeightsUnpicklingError(f"can only add items to sets, not {type(target).__name__}")
        target.update(items)

    @_op(pickle.FROZENSET)
    def _frozenset(self):
        items = self.pop_mark()
        self.stack.append(frozenset(items))

    # ---- globals and calls: only through the allow-list
    @_op(pickle.GLOBAL)
    def _global(self):
        module = self.readline().decode("utf-8")
        name = self.readline().decode("utf-8")
        self.stack.append(self.find_global(module, name))

    @_op(pickle.STACK_GLOBAL)
    def _stack_global(self):
        name, module = self.stack.pop(), self.stack.pop()
        if type(name) is not str or type(module) is not str:
            raise WeightsUnpicklingError("STACK_GLOBAL requires str module and name")
        self.stack.append(self.find_global(module, name))

    @_op(pickle.INST)
    def _inst(self):
        module = self.readline().decode("utf-8")
        name = self.readline().decode("utf-8")
        cls = self.find_global(module, name)
        args = tuple(self.pop_mark())
        self.stack.append(_forward(_call, cls, args))

    @_op(pickle.OBJ)
    def _obj(self):
        args = self.pop_mark()
        cls = args.pop(0)
        self.stack.append(_forward(_new, cls, tuple(args)))

    @_op(pickle.REDUCE)
    def _reduce(self):
        args = self.stack.pop()
        self.stack[-1] = _forward(_call, self.stack[-1], args)

    @_op(pickle.NEWOBJ)
    def _newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.stack.append(_forward(_new, cls, args))

    @_op(pickle.NEWOBJ_EX)
    def _newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.stack.append(_forward(_new, cls, args, kwargs))

    @_op(pickle.BUILD)
    def _build(self):
        state = self.stack.pop()
        _forward(_set_state, self.stack[-1], state)

    @_op(pickle.BINPERSID)
    def _binpersid(self):
        self.stack.append(self._persistent(self.stack.pop()))

    @_op(pickle.PERSID)
    def _persid(self):
        self.stack.append(self._persistent(self.readline().decode("ascii")))

    def _persistent(self, pid):
        if self._persistent_load is None:
            raise WeightsUnpicklingError("unexpected persistent id in this pickle")
        if type(pid) is not tuple or not pid or _ascii(pid[0]) != "storage":
            raise WeightsUnpicklingError(f"only storages may be persistent ids, got {pid!r:.80}")
        return _forward(self._persistent_load, pid)


_STOP = object()


class _Forward(Exception):
    """Carries an exception raised by a callee through the interpreter's error translation."""

    def __init__(self, error: BaseException):
        self.error = error


def _forward(fn, *args):
    try:
        return fn(*args)
    except (WeightsUnpicklingError, EOFError):
        raise
    except Exception as e:
        raise _Forward(e) from None


def _ascii(value):
    return value.decode("ascii") if isinstance(value, bytes) else value


def _call(func, args):
    if not _is_allowed(func):
        raise WeightsUnpicklingError(f"refusing to call {func!r:.80}: it did not come from the "
                                     "allow-list")
    if type(args) is not tuple:
        raise WeightsUnpicklingError("REDUCE arguments must be a tuple")
    return func(*args)


def _new(cls, args, kwargs=None):
    if not _is_allowed(cls):
        raise WeightsUnpicklingError(f"refusing to create {cls!r:.80}: it did not come from the "
                                     "allow-list")
    kwargs = kwargs or {}
    if isinstance(cls, type):
        return cls.__new__(cls, *args, **kwargs)
    return cls(*args, **kwargs)  # an ember factory standing for a torch class (Parameter)


def _set_state(inst, state) -> None:
    """``BUILD``: set the state of an OrderedDict (a state_dict's ``_metadata``) or of an instance
    of an allow-listed user class; nothing else."""
    if type(inst) in (OrderedDict, Counter):
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise WeightsUnpicklingError("the state of an OrderedDict must be a dict of str keys")
        inst.__dict__.update(state)
        return
    if not any(type(inst) is v for v in _user_table().values()):
        raise WeightsUnpicklingError(f"can only set the state (BUILD) of OrderedDict or classes "
                                     f"allowed with add_safe_globals, not {type(inst).__name__}")
    if hasattr(inst, "__setstate__"):
        inst.__setstate__(state)
        return
    slotstate = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slotstate = state
    if state:
        inst.__dict__.update(state)
    for k, v in (slotstate or {}).items():
        setattr(inst, k, v)


class FullUnpickler(pickle.Unpickler):
    """``weights_only=False``: Python's unpickler (it may run code from the file), with PyTorch's
    names mapped to ember's objects first."""

    def __init__(self, file, persistent_load):
        super().__init__(file, encoding="utf-8")
        self._pl = persistent_load

    def persistent_load(self, pid):
        return self._pl(pid)

    def find_class(self, module, name):
        full = f"{module}.{name}"
        table = builtin_table()
        if full in table:
            return table[full]
        user = _user_table()
        if full in user:
            return user[full]
        return super().find_class(module, name)
