import { expect } from "chai";
import { toJsonRow } from "../../schemas/json";
import { userEvents } from "../../schemas/ott";

describe("JSON rows", () => {
  const row = {
    event_id: "e1", timestamp: Date.UTC(2024, 5, 1, 20, 0, 5) * 1000 + 7, event_date: 19875, rating: null,
    location: { country: "JP", region: null, city: "Tokyo", latitude: 35.5, longitude: 139.69 }, device: null,
  };

  it("writes timestamps as RFC 3339, dates as YYYY-MM-DD, records nested, only the table's fields", () => {
    const json = toJsonRow(userEvents, { ...row, unknown: "dropped" });
    expect(json).to.include({ event_id: "e1", timestamp: "2024-06-01T20:00:05.000007Z", event_date: "2024-06-01", rating: null, device: null });
    expect(json.location).to.deep.equal({ country: "JP", region: null, city: "Tokyo", latitude: 35.5, longitude: 139.69 });
    expect(json).to.not.have.property("unknown");
  });
});
