import { describe, expect, it } from "vitest";
import { PluginError } from "../cli/errors.js";
import { csvFields, parseRecordFlag, parseRecordFlags, parseRecordsFile, typed } from "./records.js";

const fails = (fn: () => unknown, re: RegExp) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe("BadInput");
    expect((err as PluginError).line()).toMatch(re);
    return;
  }
  throw new Error("expected a PluginError");
};

describe("records for predict", () => {
  it("types text values: numbers, missing, strings", () => {
    expect([typed("45.1"), typed("-3"), typed("1e3"), typed(""), typed("NA"), typed("Biscoe"), typed("12a")]).toEqual([
      45.1,
      -3,
      1000,
      null,
      null,
      "Biscoe",
      "12a",
    ]);
  });

  it("splits CSV fields with quotes", () => {
    expect(csvFields('a,"b,c","say ""hi""",')).toEqual(["a", "b,c", 'say "hi"', ""]);
  });

  it("reads CSV with a header row", () => {
    expect(parseRecordsFile("island,body_mass_g,sex\r\nBiscoe,5000,female\nDream,,male\n\n", "p.csv")).toEqual([
      { island: "Biscoe", body_mass_g: 5000, sex: "female" },
      { island: "Dream", body_mass_g: null, sex: "male" },
    ]);
  });

  it("reads a JSON array of objects, or {instances}", () => {
    expect(parseRecordsFile('[{"island":"Biscoe","year":2008}]', "r.json")).toEqual([{ island: "Biscoe", year: 2008 }]);
    expect(parseRecordsFile('{"instances":[{"island":"Dream"}]}', "r.txt")).toEqual([{ island: "Dream" }]);
  });

  it("refuses malformed files with one line naming the file", () => {
    fails(() => parseRecordsFile("[1,2]", "r.json"), /^error: r\.json: record 0 is not an object; /);
    fails(() => parseRecordsFile("{oops", "r.json"), /^error: r\.json is not valid JSON/);
    fails(() => parseRecordsFile("a,b\n1,2,3\n", "p.csv"), /^error: p\.csv line 2 has 3 fields, the header 2; /);
    fails(() => parseRecordsFile("a,a\n1,2\n", "p.csv"), /distinct, non-empty column names/);
    fails(() => parseRecordsFile("a,b\n", "p.csv"), /^error: p\.csv holds no records; /);
    fails(() => parseRecordsFile("[]", "r.json"), /holds no records/);
  });

  it("reads --record k=v pairs, one record per flag", () => {
    expect(parseRecordFlag("island=Biscoe, bill_length_mm=45.1,sex=")).toEqual({
      island: "Biscoe",
      bill_length_mm: 45.1,
      sex: null,
    });
    expect(parseRecordFlags(["a=1", "a=2"])).toEqual([{ a: 1 }, { a: 2 }]);
    expect(parseRecordFlag("note=a=b")).toEqual({ note: "a=b" });
    fails(() => parseRecordFlag("island"), /^error: --record "island": "island" is not k=v; write --record /);
    fails(() => parseRecordFlag(",,"), /--record is empty/);
  });
});
