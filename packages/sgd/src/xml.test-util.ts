/**
 * A strict little XML well-formedness check for the SVG/HTML the package writes: every tag
 * closed in order, attributes quoted, no raw '<' or '&' in text. Returns element names in order.
 */
export function checkXml(xml: string, opts: { html?: boolean } = {}): string[] {
  const voidHtml = new Set(['meta', 'br', 'img', 'link', 'hr', 'input']);
  const stack: string[] = [];
  const names: string[] = [];
  let i = 0;
  let src = xml;
  if (opts.html) src = src.replace(/^<!doctype html>\s*/i, '');
  const textOk = (t: string, at: number) => {
    if (/<|&(?!(amp|lt|gt|quot|#39);)/.test(t)) throw new Error(`bad character in text near offset ${at}: ${JSON.stringify(t.slice(0, 60))}`);
  };
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    if (lt < 0) {
      textOk(src.slice(i), i);
      break;
    }
    const text = src.slice(i, lt);
    // CSS in <style> may hold '>' etc.; it is checked as text except for '<'.
    if (stack[stack.length - 1] !== 'style') textOk(text, i);
    const gt = src.indexOf('>', lt);
    if (gt < 0) throw new Error(`unclosed tag at ${lt}`);
    const tag = src.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}> at offset ${lt}`);
    } else {
      const m = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)$/.exec(tag);
      if (!m) throw new Error(`malformed tag at offset ${lt}: <${tag.slice(0, 80)}>`);
      names.push(m[1]!);
      const selfClosing = m[3] === '/' || (opts.html && voidHtml.has(m[1]!));
      if (!selfClosing) stack.push(m[1]!);
    }
    i = gt + 1;
  }
  if (stack.length) throw new Error(`unclosed elements: ${stack.join(' > ')}`);
  return names;
}

/** Attribute values of every `<tag ... attr="...">` in document order. */
export function attrs(xml: string, tag: string, attr: string): string[] {
  const re = new RegExp(`<${tag}(?=[\\s/>])[^>]*?\\s${attr}="([^"]*)"`, 'g');
  return [...xml.matchAll(re)].map((m) => m[1]!);
}
