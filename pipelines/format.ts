/** A count or rate for people: rounded, with thousands separators. */
export const formatCount = (value: number): string => Math.round(value).toLocaleString("en-US");
