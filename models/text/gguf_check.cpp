// Throwaway llama.cpp load check for the text zoo: tokenize a prompt (no BOS),
// greedy-decode N tokens, print JSON {prompt_ids, greedy_ids, first_logits}.
// Build: g++ -std=c++17 -O2 gguf_check.cpp -I$LLAMA/include -L$LLAMA/lib \
//        -lllama -lggml -lggml-cpu -lggml-base -fopenmp -lpthread -o gguf_check
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "llama.h"

static void quiet(ggml_log_level, const char*, void*) {}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s model.gguf prompt [n]\n", argv[0]);
    return 2;
  }
  int n = argc > 3 ? atoi(argv[3]) : 32;
  llama_log_set(quiet, nullptr);
  llama_backend_init();
  auto mp = llama_model_default_params();
  llama_model* model = llama_model_load_from_file(argv[1], mp);
  if (!model) {
    fprintf(stderr, "load failed\n");
    return 1;
  }
  auto cp = llama_context_default_params();
  cp.n_ctx = 256;
  cp.n_batch = 256;
  cp.n_threads = 2;
  cp.n_threads_batch = 2;
  // f32 KV cache for an exact comparison (the default f16 cache adds ~1e-3 logit error)
  if (!getenv("GGUF_CHECK_F16_KV")) {
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  }
  llama_context* ctx = llama_init_from_model(model, cp);
  const llama_vocab* vocab = llama_model_get_vocab(model);
  int nv = llama_vocab_n_tokens(vocab);
  std::string prompt = argv[2];
  std::vector<llama_token> toks(prompt.size() + 8);
  int nt = llama_tokenize(vocab, prompt.c_str(), (int)prompt.size(), toks.data(), (int)toks.size(),
                          false, false);
  if (nt < 0) {
    fprintf(stderr, "tokenize failed\n");
    return 1;
  }
  toks.resize(nt);
  printf("{\"prompt_ids\":[");
  for (int i = 0; i < nt; i++) printf("%s%d", i ? "," : "", toks[i]);
  printf("],");
  std::vector<llama_token> out;
  std::vector<float> first;
  llama_batch b = llama_batch_get_one(toks.data(), nt);
  llama_token cur;
  for (int s = 0; s < n; s++) {
    if (llama_decode(ctx, b)) {
      fprintf(stderr, "decode failed\n");
      return 1;
    }
    float* lg = llama_get_logits_ith(ctx, -1);
    if (s == 0) first.assign(lg, lg + nv);
    int best = 0;
    for (int j = 1; j < nv; j++)
      if (lg[j] > lg[best]) best = j;
    out.push_back(best);
    cur = best;
    b = llama_batch_get_one(&cur, 1);
  }
  printf("\"greedy_ids\":[");
  for (size_t i = 0; i < out.size(); i++) printf("%s%d", i ? "," : "", out[i]);
  printf("],\"first_logits\":[");
  for (int j = 0; j < nv; j++) printf("%s%.6g", j ? "," : "", first[j]);
  printf("]}\n");
  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
