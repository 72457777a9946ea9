// Prints what Lucene 8.7 makes of each document of a corpus, for the analyzer's Unicode conformance
// test: the raw StandardTokenizer tokens and the terms of the Pyserini chain (possessive, lowercase,
// 33 English stop words, Porter), the chain the shared BM25 oracle indexes with.
//
//   java -cp BUILD:lucene-core.jar:lucene-analyzers-common.jar LuceneAnalysis CORPUS OUT
//
// CORPUS is UTF-8 text whose documents are separated by U+0000. OUT gets two lines per document,
// "T ..." (tokenizer) and "A ..." (analyzer): tokens separated by spaces, each token written as its
// code points in hex joined by '.', so that any character survives the trip.
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

public final class LuceneAnalysis {
  static void write(BufferedWriter out, char kind, TokenStream stream) throws IOException {
    CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
    StringBuilder line = new StringBuilder();
    line.append(kind);
    stream.reset();
    while (stream.incrementToken()) {
      line.append(' ');
      String t = term.toString();
      for (int i = 0; i < t.length();) {
        int cp = t.codePointAt(i);
        if (i > 0) line.append('.');
        line.append(Integer.toHexString(cp));
        i += Character.charCount(cp);
      }
    }
    stream.end();
    stream.close();
    out.write(line.toString());
    out.write('\n');
  }

  public static void main(String[] args) throws IOException {
    String corpus = new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8);
    try (BufferedWriter out = Files.newBufferedWriter(Paths.get(args[1]), StandardCharsets.UTF_8)) {
      for (String doc : corpus.split("\u0000", -1)) {
        StandardTokenizer raw = new StandardTokenizer();
        raw.setReader(new StringReader(doc));
        write(out, 'T', raw);
        StandardTokenizer source = new StandardTokenizer();
        source.setReader(new StringReader(doc));
        TokenStream chain = new EnglishPossessiveFilter(source);
        chain = new LowerCaseFilter(chain);
        chain = new StopFilter(chain, EnglishAnalyzer.ENGLISH_STOP_WORDS_SET);
        chain = new PorterStemFilter(chain);
        write(out, 'A', chain);
      }
    }
  }
}
