#!/usr/bin/env python3
"""Train a SentencePiece BPE tokenizer (vocab 4096) on the corpus train split.

Choices for code, and for exact agreement with llama.cpp's SPM tokenizer:
- BPE (llama.cpp's "llama" tokenizer reproduces SentencePiece BPE merges from
  piece scores; unigram Viterbi is only approximated there).
- normalization "identity", remove_extra_whitespaces=False, add_dummy_prefix=False:
  spaces are kept verbatim (as U+2581) and runs of indentation can merge
  (split_by_whitespace=False).
- byte_fallback=True: every text tokenizes; '\n' becomes the byte token <0x0A>.
Usage: train_tokenizer.py --corpus DIR --out DIR [--vocab 4096] [--from MODEL]
With --from, the committed vocabulary (models/text/weights/tokenizer.model) is copied instead
of trained, so that the committed checkpoints keep the vocabulary they were trained with; the
round trip on the held-out split and the metadata are checked and written the same way.
"""
import argparse, json, os, shutil, sys
import sentencepiece as spm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--max-lines", type=int, default=300000)
    ap.add_argument("--from", dest="src", default=None, help="copy this trained model instead of training")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    prefix = os.path.join(a.out, "tokenizer")
    if a.src:
        shutil.copyfile(a.src, prefix + ".model.tmp")
        os.replace(prefix + ".model.tmp", prefix + ".model")
    else:
        train(a, prefix)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    held = open(os.path.join(a.corpus, "heldout.txt"), encoding="utf-8").read()
    ids = sp.encode(held)
    assert sp.decode(ids) == held, "round trip failed"
    meta = {"vocab_size": sp.get_piece_size(), "type": "bpe", "byte_fallback": True,
            "seed": a.seed, "heldout_chars": len(held), "heldout_tokens": len(ids),
            "chars_per_token": round(len(held) / len(ids), 3),
            "source": a.src and "committed models/text/weights/tokenizer.model"}
    json.dump(meta, open(os.path.join(a.out, "tokenizer.json"), "w"), indent=2)
    print(json.dumps(meta))


def train(a, prefix):
    spm.set_random_generator_seed(a.seed)
    spm.SentencePieceTrainer.train(
        input=os.path.join(a.corpus, "train.txt"),
        model_prefix=prefix,
        model_type="bpe",
        vocab_size=a.vocab,
        character_coverage=1.0,
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=False,
        split_by_whitespace=False,
        split_digits=True,
        max_sentencepiece_length=16,
        input_sentence_size=a.max_lines,
        shuffle_input_sentence=True,
        seed_sentencepiece_size=100000,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        num_threads=2,
        minloglevel=2,
    )


if __name__ == "__main__":
    main()
