// Query parameters read as kube-apiserver reads them (apimachinery's Convert_Slice_string_To_bool): a boolean is
// false only when absent, "0" or "false" in any case — "true", "True", "1", "t", even an empty value are true.
// Clients other than kubectl send these forms (the Python client's watch=True).

export function queryBool(q: URLSearchParams, name: string): boolean {
  if (!q.has(name)) return false;
  const v = q.get(name)!;
  return !(v === '0' || v.toLowerCase() === 'false');
}
