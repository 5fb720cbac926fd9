#include "accuracy/torch_state_dict.h"

#include <zip.h>

#include <cstring>
#include <memory>
#include <utility>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"

namespace edgenas {
namespace {

// ---- The zip container (libzip) -------------------------------------------

class ZipArchive {
 public:
  explicit ZipArchive(const std::string& path) : path_(path) {
    int error = 0;
    archive_ = zip_open(path.c_str(), ZIP_RDONLY, &error);
    if (archive_ == nullptr) {
      zip_error_t z;
      zip_error_init_with_code(&z, error);
      const std::string why = zip_error_strerror(&z);
      zip_error_fini(&z);
      EDGENAS_THROW_FMT("{}: cannot read as a zip-format PyTorch file: {}", path, why);
    }
  }
  ~ZipArchive() { zip_discard(archive_); }
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    const zip_int64_t n = zip_get_num_entries(archive_, 0);
    for (zip_int64_t i = 0; i < n; ++i) names.push_back(zip_get_name(archive_, i, 0));
    return names;
  }

  std::string Read(const std::string& name) const {
    zip_stat_t stat;
    if (zip_stat(archive_, name.c_str(), 0, &stat) != 0) {
      EDGENAS_THROW_FMT("{}: the archive has no entry '{}'", path_, name);
    }
    // The size the zip directory states, checked before anything is inflated:
    // a few megabytes can claim gigabytes.
    EDGENAS_THROW_IF_NOT_FMT((stat.valid & ZIP_STAT_SIZE) && stat.size <= kMaxEntryBytes,
                             "{}: entry '{}' would inflate to {} bytes; at most {} are read", path_, Printable(name),
                             stat.size, kMaxEntryBytes);
    std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(zip_fopen(archive_, name.c_str(), 0), zip_fclose);
    if (!file) EDGENAS_THROW_FMT("{}: cannot open entry '{}'", path_, name);
    std::string bytes(stat.size, '\0');
    if (zip_fread(file.get(), bytes.data(), stat.size) != static_cast<zip_int64_t>(stat.size)) {
      EDGENAS_THROW_FMT("{}: entry '{}' is truncated", path_, name);
    }
    return bytes;
  }

 private:
  // Larger than any predictor's weights by far (Once-for-All's is 0.2 MB).
  static constexpr zip_uint64_t kMaxEntryBytes = zip_uint64_t{256} << 20;
  std::string path_;
  zip_t* archive_ = nullptr;
};

// ---- The pickle subset ------------------------------------------------------

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kGlobal, kStorage, kTensor, kMark };
  Kind kind = Kind::kNone;
  int64_t int_value = 0;
  double float_value = 0;
  std::string text;                                // string; global "module.name"; storage key
  std::vector<ValuePtr> items;                     // tuple, list
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // dict, in insertion order
  std::string storage_type;                        // storage: "FloatStorage", ...
  FloatTensor tensor;
};

class Unpickler {
 public:
  Unpickler(std::string path, const std::string& bytes, const ZipArchive& zip, std::string prefix)
      : path_(std::move(path)), bytes_(bytes), zip_(zip), prefix_(std::move(prefix)) {}

  // The values form a graph a hostile file may make deep (nesting through the
  // memo) or cyclic (a list that holds itself). Dropping every link first,
  // while values_ still holds each value, frees them one by one: no recursion
  // and no leaked cycle. The values returned by Run() are emptied too, so
  // take what is needed from them before the Unpickler goes.
  ~Unpickler() {
    for (const ValuePtr& v : values_) {
      v->items.clear();
      v->entries.clear();
    }
  }
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  // One case per opcode: the dispatch reads best as one switch, like the
  // opcode table of Python's pickle module it follows.
  ValuePtr Run() {
    while (true) {
      const size_t at = pos_;
      const uint8_t op = Byte();
      switch (op) {
        case 0x80: Byte(); break;  // PROTO
        case 0x95: Bytes(8); break;  // FRAME
        case '(': stack_.push_back(Make(Value::Kind::kMark)); break;
        case '}': stack_.push_back(Make(Value::Kind::kDict)); break;
        case ']': stack_.push_back(Make(Value::Kind::kList)); break;
        case ')': stack_.push_back(Make(Value::Kind::kTuple)); break;
        case 'N': stack_.push_back(Make(Value::Kind::kNone)); break;
        case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
          auto v = Make(Value::Kind::kBool);
          v->int_value = op == 0x88;
          stack_.push_back(v);
          break;
        }
        case 'K': PushInt(Byte()); break;  // BININT1
        case 'M': PushInt(Little(2)); break;  // BININT2
        case 'J': PushInt(static_cast<int32_t>(Little(4))); break;  // BININT
        case 0x8a: {  // LONG1
          const int n = Byte();
          EDGENAS_THROW_IF_NOT_FMT(n <= 8, "{}: integer of {} bytes at byte {} is too large", path_, n, at);
          uint64_t x = Little(n);
          if (n > 0 && n < 8 && (x >> (8 * n - 1)) != 0) x |= ~uint64_t{0} << (8 * n);  // sign-extend
          PushInt(static_cast<int64_t>(x));
          break;
        }
        case 'G': {  // BINFLOAT, big-endian double
          uint64_t x = 0;
          for (int i = 0; i < 8; ++i) x = x << 8 | Byte();
          auto v = Make(Value::Kind::kFloat);
          std::memcpy(&v->float_value, &x, 8);
          stack_.push_back(v);
          break;
        }
        case 'X': PushString(Bytes(Little(4))); break;  // BINUNICODE
        case 0x8c: PushString(Bytes(Byte())); break;    // SHORT_BINUNICODE
        case 'q': memo_[Byte()] = Top(); break;          // BINPUT
        case 'r': memo_[Little(4)] = Top(); break;       // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = Top(); break;   // MEMOIZE
        case 'h': stack_.push_back(Memo(Byte())); break;  // BINGET
        case 'j': stack_.push_back(Memo(Little(4))); break;  // LONG_BINGET
        case 'c': {  // GLOBAL "module\nname\n"
          const std::string module = Line();
          PushGlobal(module + "." + Line());
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          const ValuePtr name = Pop(), module = Pop();
          PushGlobal(module->text + "." + name->text);
          break;
        }
        case 't': {  // TUPLE
          auto v = Make(Value::Kind::kTuple);
          v->items = PopToMark();
          stack_.push_back(v);
          break;
        }
        case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
          auto v = Make(Value::Kind::kTuple);
          v->items.resize(op - 0x84);
          for (size_t i = v->items.size(); i-- > 0;) v->items[i] = Pop();
          stack_.push_back(v);
          break;
        }
        case 'Q': Persistent(Pop()); break;  // BINPERSID
        case 'R': {  // REDUCE
          const ValuePtr args = Pop(), callable = Pop();
          stack_.push_back(Reduce(*callable, *args));
          break;
        }
        case 'b': Pop(); break;  // BUILD: object state such as OrderedDict's _metadata; not needed
        case 's': {  // SETITEM
          const ValuePtr value = Pop(), key = Pop();
          Dict(Top())->entries.emplace_back(key, value);
          break;
        }
        case 'u': {  // SETITEMS
          const std::vector<ValuePtr> items = PopToMark();
          ValuePtr dict = Dict(Top());
          for (size_t i = 0; i + 1 < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'a': {  // APPEND
          const ValuePtr item = Pop();
          Top()->items.push_back(item);
          break;
        }
        case 'e': {  // APPENDS
          const std::vector<ValuePtr> items = PopToMark();
          Top()->items.insert(Top()->items.end(), items.begin(), items.end());
          break;
        }
        case '.': return Pop();  // STOP
        default:
          EDGENAS_THROW_FMT("{}: unsupported pickle opcode 0x{:02x} at byte {} (a state_dict of tensors was expected)",
                            path_, op, at);
      }
    }
  }

 private:
  uint8_t Byte() {
    EDGENAS_THROW_IF_NOT_FMT(pos_ < bytes_.size(), "{}: data.pkl ends early", path_);
    return static_cast<uint8_t>(bytes_[pos_++]);
  }
  uint64_t Little(int n) {
    uint64_t x = 0;
    for (int i = 0; i < n; ++i) x |= uint64_t{Byte()} << (8 * i);
    return x;
  }
  std::string Bytes(size_t n) {
    EDGENAS_THROW_IF_NOT_FMT(n <= bytes_.size() - pos_, "{}: data.pkl ends early", path_);
    std::string s = bytes_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string Line() {
    const size_t end = bytes_.find('\n', pos_);
    EDGENAS_THROW_IF_NOT_FMT(end != std::string::npos, "{}: data.pkl ends early", path_);
    std::string s = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  void PushInt(int64_t x) {
    auto v = Make(Value::Kind::kInt);
    v->int_value = x;
    stack_.push_back(v);
  }
  void PushString(std::string s) {
    auto v = Make(Value::Kind::kString);
    v->text = std::move(s);
    stack_.push_back(v);
  }
  void PushGlobal(std::string name) {
    auto v = Make(Value::Kind::kGlobal);
    v->text = std::move(name);
    stack_.push_back(v);
  }
  ValuePtr Top() {
    EDGENAS_THROW_IF_NOT_FMT(!stack_.empty(), "{}: malformed pickle (empty stack)", path_);
    return stack_.back();
  }
  ValuePtr Pop() {
    ValuePtr v = Top();
    stack_.pop_back();
    return v;
  }
  ValuePtr Memo(uint64_t key) {
    auto it = memo_.find(key);
    EDGENAS_THROW_IF_NOT_FMT(it != memo_.end(), "{}: malformed pickle (memo {} unset)", path_, key);
    return it->second;
  }
  ValuePtr Dict(ValuePtr v) {
    EDGENAS_THROW_IF_NOT_FMT(v->kind == Value::Kind::kDict, "{}: malformed pickle (SETITEM on a non-dict)", path_);
    return v;
  }
  std::vector<ValuePtr> PopToMark() {
    std::vector<ValuePtr> items;
    while (Top()->kind != Value::Kind::kMark) items.push_back(Pop());
    Pop();
    return {items.rbegin(), items.rend()};
  }

  // ('storage', <torch FloatStorage>, key, location, numel)
  void Persistent(const ValuePtr& id) {
    EDGENAS_THROW_IF_NOT_FMT(id->kind == Value::Kind::kTuple && id->items.size() >= 3 &&
                                 id->items[0]->text == "storage" && id->items[1]->kind == Value::Kind::kGlobal,
                             "{}: unsupported persistent object (only tensor storages are read)", path_);
    auto v = Make(Value::Kind::kStorage);
    v->storage_type = id->items[1]->text;
    v->text = id->items[2]->text;
    stack_.push_back(v);
  }

  ValuePtr Reduce(const Value& callable, const Value& args) {
    const std::string& name = callable.text;
    if (name == "collections.OrderedDict") return Make(Value::Kind::kDict);
    // torch::pickle_save wraps a typed dict: restore_type_tag(dict, "Dict[str, Tensor]").
    if (name == "torch.jit._pickle.restore_type_tag" || name == "torch._utils._rebuild_parameter") {
      return args.items.at(0);
    }
    if (name == "torch._utils._rebuild_tensor_v2") return RebuildTensor(args);
    EDGENAS_THROW_FMT("{}: unsupported object '{}' (a state_dict of float32 tensors was expected)", path_, name);
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks)
  ValuePtr RebuildTensor(const Value& args) {
    EDGENAS_THROW_IF_NOT_FMT(args.items.size() >= 4 && args.items[0]->kind == Value::Kind::kStorage,
                             "{}: malformed tensor record", path_);
    const Value& storage = *args.items[0];
    EDGENAS_THROW_IF_NOT_FMT(storage.storage_type == "torch.FloatStorage",
                             "{}: tensor storage '{}' is {}; edgenas reads float32 weights only", path_, storage.text,
                             storage.storage_type);
    const int64_t offset = args.items[1]->int_value;
    auto v = Make(Value::Kind::kTensor);
    std::vector<int64_t> stride;
    for (const ValuePtr& s : args.items[2]->items) v->tensor.shape.push_back(s->int_value);
    for (const ValuePtr& s : args.items[3]->items) stride.push_back(s->int_value);
    EDGENAS_THROW_IF_NOT_FMT(stride.size() == v->tensor.shape.size(), "{}: malformed tensor record", path_);

    const std::string data = zip_.Read(prefix_ + "data/" + storage.text);
    const int64_t storage_numel = static_cast<int64_t>(data.size() / sizeof(float));
    const int64_t n = v->tensor.NumElements();
    v->tensor.values.resize(n);
    // Gather in C order through the strides, checking every index stays inside the storage.
    std::vector<int64_t> index(v->tensor.shape.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t at = offset;
      for (size_t d = 0; d < index.size(); ++d) at += index[d] * stride[d];
      EDGENAS_THROW_IF_NOT_FMT(at >= 0 && at < storage_numel, "{}: tensor reaches outside its storage '{}'", path_,
                               storage.text);
      std::memcpy(&v->tensor.values[i], data.data() + at * sizeof(float), sizeof(float));
      for (size_t d = index.size(); d-- > 0;) {
        if (++index[d] < v->tensor.shape[d]) break;
        index[d] = 0;
      }
    }
    return v;
  }

  std::string path_;
  const std::string& bytes_;
  const ZipArchive& zip_;
  std::string prefix_;  // "<archive>/" in front of data.pkl and data/<key>
  size_t pos_ = 0;
  // Every value made, owned here (see the destructor). A state_dict holds a few
  // values per tensor; far more means a file that is not one.
  ValuePtr Make(Value::Kind kind) {
    EDGENAS_THROW_IF_NOT_FMT(values_.size() < kMaxValues, "{}: data.pkl holds more than {} values; not a state_dict",
                             path_, kMaxValues);
    auto v = std::make_shared<Value>();
    v->kind = kind;
    values_.push_back(v);
    return v;
  }

  static constexpr size_t kMaxValues = 1'000'000;
  std::vector<ValuePtr> stack_;
  std::map<uint64_t, ValuePtr> memo_;
  std::vector<ValuePtr> values_;
};

}  // namespace

int64_t FloatTensor::NumElements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::map<std::string, FloatTensor> ReadTorchStateDict(const std::string& path) {
  const ZipArchive zip(path);
  std::string pickle_name;
  for (const std::string& name : zip.Names()) {
    if (name == "data.pkl" || (name.size() > 9 && name.compare(name.size() - 9, 9, "/data.pkl") == 0)) {
      pickle_name = name;
    }
  }
  EDGENAS_THROW_IF_NOT_FMT(!pickle_name.empty(), "{}: no data.pkl inside; not a zip-format PyTorch file", path);
  const std::string prefix = pickle_name.substr(0, pickle_name.size() - 8);
  const std::string bytes = zip.Read(pickle_name);
  Unpickler unpickler(path, bytes, zip, prefix);  // owns the values until the tensors are taken
  const ValuePtr root = unpickler.Run();
  EDGENAS_THROW_IF_NOT_FMT(root->kind == Value::Kind::kDict, "{}: the file holds no dict (a state_dict was expected)",
                           path);
  std::map<std::string, FloatTensor> tensors;
  for (const auto& [key, value] : root->entries) {
    EDGENAS_THROW_IF_NOT_FMT(key->kind == Value::Kind::kString && value->kind == Value::Kind::kTensor,
                             "{}: the dict holds something other than name -> tensor", path);
    tensors[key->text] = std::move(value->tensor);
  }
  return tensors;
}

// ---- Writing ----------------------------------------------------------------

namespace {

// The pickle torch.save writes for a dict of float32 tensors, using only what
// torch.load(..., weights_only=True) accepts: a dict, torch._utils.
// _rebuild_tensor_v2, torch.FloatStorage and an empty collections.OrderedDict
// of backward hooks, with each tensor's storage as the persistent record
// data/<i>.
class Pickler {
 public:
  std::string Finish() { return std::move(out_) + "."; }

  void Proto() { out_ += "\x80\x02"; }
  void Global(const std::string& module, const std::string& name) { out_ += "c" + module + "\n" + name + "\n"; }
  void Op(char op) { out_ += op; }
  void String(const std::string& s) {
    out_ += 'X';
    Little(s.size(), 4);
    out_ += s;
  }
  void Int(int64_t v) {
    if (v >= 0 && v < 256) {
      out_ += 'K';
      Little(static_cast<uint64_t>(v), 1);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out_ += 'J';
      Little(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
      out_ += "\x8a\x08";  // LONG1, 8 bytes two's complement
      Little(static_cast<uint64_t>(v), 8);
    }
  }
  void IntTuple(const std::vector<int64_t>& values) {
    out_ += '(';
    for (int64_t v : values) Int(v);
    out_ += 't';
  }

 private:
  void Little(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  std::string out_;
};

std::string StateDictPickle(const std::vector<std::pair<std::string, FloatTensor>>& tensors) {
  Pickler p;
  p.Proto();
  p.Op('}');  // a plain dict, which LibTorch's torch::pickle_load reads too (it reads an OrderedDict as None)
  p.Op('(');
  for (size_t i = 0; i < tensors.size(); ++i) {
    const FloatTensor& t = tensors[i].second;
    std::vector<int64_t> stride(t.shape.size(), 1);
    for (size_t d = t.shape.size(); d-- > 1;) stride[d - 1] = stride[d] * t.shape[d];
    p.String(tensors[i].first);
    p.Global("torch._utils", "_rebuild_tensor_v2");
    p.Op('(');
    p.Op('(');  // persistent id: ('storage', torch.FloatStorage, key, location, numel)
    p.String("storage");
    p.Global("torch", "FloatStorage");
    p.String(std::to_string(i));
    p.String("cpu");
    p.Int(t.NumElements());
    p.Op('t');
    p.Op('Q');
    p.Int(0);  // storage offset
    p.IntTuple(t.shape);
    p.IntTuple(stride);
    p.Op('\x89');  // requires_grad = False
    p.Global("collections", "OrderedDict");  // backward hooks
    p.Op(')');
    p.Op('R');
    p.Op('t');
    p.Op('R');
  }
  p.Op('u');
  return p.Finish();
}

// A zip archive built in memory with libzip, entries stored uncompressed as
// torch.save stores them.
class ZipWriter {
 public:
  ZipWriter() {
    zip_error_t error;
    zip_error_init(&error);
    source_ = zip_source_buffer_create(nullptr, 0, 0, &error);
    EDGENAS_THROW_IF_NOT_FMT(source_ != nullptr, "cannot make a zip buffer: {}", zip_error_strerror(&error));
    zip_source_keep(source_);
    archive_ = zip_open_from_source(source_, ZIP_TRUNCATE, &error);
    EDGENAS_THROW_IF_NOT_FMT(archive_ != nullptr, "cannot make a zip archive: {}", zip_error_strerror(&error));
  }
  ~ZipWriter() {
    if (archive_ != nullptr) zip_discard(archive_);
    zip_source_free(source_);
  }

  void Add(const std::string& name, std::string contents) {
    contents_.push_back(std::make_unique<std::string>(std::move(contents)));  // libzip reads it at Close
    const std::string& data = *contents_.back();
    zip_source_t* source = zip_source_buffer(archive_, data.data(), data.size(), 0);
    const zip_int64_t index = source == nullptr ? -1 : zip_file_add(archive_, name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      EDGENAS_THROW_FMT("cannot add {} to a zip archive: {}", name, zip_strerror(archive_));
    }
    zip_set_file_compression(archive_, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
    // A fixed time stamp (1980-01-01, the zip format's first), so that the
    // same tensors always make the same bytes.
    zip_file_set_mtime(archive_, static_cast<zip_uint64_t>(index), 315532800, 0);
  }

  // The archive's bytes.
  std::string Close() {
    EDGENAS_THROW_IF_NOT_FMT(zip_close(archive_) == 0, "cannot write a zip archive: {}", zip_strerror(archive_));
    archive_ = nullptr;
    EDGENAS_THROW_IF_NOT_FMT(zip_source_open(source_) == 0, "cannot read back a zip archive made in memory");
    zip_source_seek(source_, 0, SEEK_END);
    const zip_int64_t size = zip_source_tell(source_);
    zip_source_seek(source_, 0, SEEK_SET);
    std::string bytes(static_cast<size_t>(size), '\0');
    const zip_int64_t read = zip_source_read(source_, bytes.data(), bytes.size());
    zip_source_close(source_);
    EDGENAS_THROW_IF_NOT_FMT(read == size, "cannot read back a zip archive made in memory");
    return bytes;
  }

 private:
  zip_source_t* source_ = nullptr;
  zip_t* archive_ = nullptr;
  std::vector<std::unique_ptr<std::string>> contents_;
};

}  // namespace

void WriteTorchStateDict(const std::string& path, const std::vector<std::pair<std::string, FloatTensor>>& tensors) {
  for (const auto& [name, tensor] : tensors) {
    EDGENAS_THROW_IF_NOT_FMT(static_cast<int64_t>(tensor.values.size()) == tensor.NumElements(),
                             "{}: tensor '{}' has {} values for its shape of {}", path, name, tensor.values.size(),
                             tensor.NumElements());
  }
  ZipWriter zip;
  zip.Add("archive/data.pkl", StateDictPickle(tensors));
  zip.Add("archive/byteorder", "little");
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::vector<float>& v = tensors[i].second.values;
    zip.Add("archive/data/" + std::to_string(i),
            std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
  }
  zip.Add("archive/version", "3\n");
  WriteFileAtomically(path, zip.Close());
}

}  // namespace edgenas
