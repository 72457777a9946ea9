// Arrow IPC streams, the storage of Hugging Face `datasets.save_to_disk` directories
// (data-NNNNN-of-NNNNN.arrow). The reader accepts the stream format (and the file format's
// ARROW1 framing) with null, bool, integer, float, (large) utf8/binary, (large) list and struct
// columns; the writer writes what `datasets` writes for string, int64, float64, bool and list
// columns, with the "huggingface" schema metadata. Inputs are untrusted: bad bytes give an Error
// naming the file and the message or column at fault.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dataset/columns.h"
#include "dataset/jsonl.h"

namespace sweinfer::dataset {

std::vector<Record> ReadArrowBytes(std::string_view bytes, const std::string& name);
std::vector<Record> ReadArrowFile(const std::string& path);

// Serialises records as an Arrow IPC stream (schema, record batches of up to `batch_rows` rows, end marker).
std::string WriteArrowStream(const std::vector<Record>& records, const std::vector<ColumnSpec>& columns,
                             size_t batch_rows = 1000);

// Writes a `save_to_disk` directory: one folder per split holding data-00000-of-00001.arrow,
// dataset_info.json and state.json, plus dataset_dict.json listing the splits. Written to a
// temporary folder first and renamed into place.
void WriteSaveToDisk(const std::string& directory, const std::map<std::string, std::vector<Record>>& splits);

}  // namespace sweinfer::dataset
