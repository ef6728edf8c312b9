// One search box over our chats (by name) and over all users (by the server).
export default function SearchBar({ value, onChange }) {
  return (
    <div className="search-bar" role="search">
      <input
        type="search"
        placeholder="Search chats or people"
        aria-label="Search chats or people"
        value={value}
        maxLength={64}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && onChange('')}
      />
    </div>
  );
}
